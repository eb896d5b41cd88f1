"""Which report attachments are already in Jira, in Redis.

Keys (under the configured prefix ``P``, beside those of ``syncd.state``)::

    P:attachment:<code>:<attachment_code>          string  Jira attachment id,
                                                           or comment:<id> when
                                                           the file was linked
    P:attachment_claim:<code>:<attachment_code>    string  owner token, TTL,
                                                           while one worker copies
    P:attachment_sending:<code>:<attachment_code>  string  set before an upload;
                                                           its answer may be lost

Only ids are stored, never file names or content.
"""

from __future__ import annotations

import time
import uuid

import redis

COMMENT_PREFIX = "comment:"


class AttachmentRecords:
    """Records, claims and in-flight markers of copied attachments."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, kind: str, code: str, attachment: int) -> str:
        return f"{self._prefix}:{kind}:{code}:{attachment}"

    def copied(self, code: str, attachment: int) -> str | None:
        """What the attachment became in Jira, or None if not copied yet."""
        value: str | None = self._redis.get(self._key("attachment", code, attachment))  # type: ignore[assignment]
        return value

    def record(self, code: str, attachment: int, jira_ref: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("attachment", code, attachment), jira_ref)
        pipe.delete(self._key("attachment_sending", code, attachment))
        pipe.execute()

    def claim(self, code: str, attachment: int, ttl_seconds: int) -> str | None:
        """The owner token of the copy claim, or None if someone holds it."""
        token = uuid.uuid4().hex
        taken = self._redis.set(
            self._key("attachment_claim", code, attachment),
            token,
            nx=True,
            ex=ttl_seconds,
        )
        return token if taken else None

    def release(self, code: str, attachment: int, token: str) -> None:
        script = (
            "if redis.call('GET', KEYS[1]) == ARGV[1] then "
            "return redis.call('DEL', KEYS[1]) end return 0"
        )
        key = self._key("attachment_claim", code, attachment)
        self._redis.eval(script, 1, key, token)

    def mark_sending(self, code: str, attachment: int) -> None:
        key = self._key("attachment_sending", code, attachment)
        self._redis.set(key, str(int(time.time())))

    def was_sending(self, code: str, attachment: int) -> bool:
        """Whether an upload was sent without its outcome being recorded."""
        key = self._key("attachment_sending", code, attachment)
        return bool(self._redis.exists(key))
