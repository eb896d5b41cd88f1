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

import threading
import time
import uuid
from dataclasses import dataclass

import redis

COMMENT_PREFIX = "comment:"


@dataclass(frozen=True)
class Claim:
    """A held copy claim, and whether an earlier upload's outcome is unknown."""

    token: str
    was_sending: bool


class AttachmentRecords:
    """Records, claims and in-flight markers of copied attachments.

    The claims a worker holds are remembered here, so that recording a copy
    gives its claim up in the same round trip.
    """

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._held: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def _key(self, kind: str, code: str, attachment: int) -> str:
        return f"{self._prefix}:{kind}:{code}:{attachment}"

    def copied(self, code: str, attachment: int) -> str | None:
        """What the attachment became in Jira, or None if not copied yet."""
        value: str | None = self._redis.get(self._key("attachment", code, attachment))  # type: ignore[assignment]
        return value

    def not_copied(self, code: str, attachments: list[int]) -> list[int]:
        """Those of ``attachments`` not copied yet, in one read."""
        if not attachments:
            return []
        keys = [self._key("attachment", code, item) for item in attachments]
        values: list[str | None] = self._redis.mget(keys)  # type: ignore[assignment]
        return [
            item for item, value in zip(attachments, values, strict=True) if not value
        ]

    def claim(self, code: str, attachment: int, ttl_seconds: int) -> Claim | None:
        """Take the copy claim; None if someone holds it or the copy is done."""
        token = uuid.uuid4().hex
        key = self._key("attachment_claim", code, attachment)
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(key, token, nx=True, ex=ttl_seconds)
        pipe.exists(self._key("attachment", code, attachment))
        pipe.exists(self._key("attachment_sending", code, attachment))
        taken, copied, sending = pipe.execute()
        if not taken:
            return None
        with self._lock:
            self._held[(code, attachment)] = token
        if copied:  # another worker finished it just now
            self.release(code, attachment)
            return None
        return Claim(token=token, was_sending=bool(sending))

    def record(self, code: str, attachment: int, jira_ref: str) -> None:
        """Record the copy; the claim held on it, if any, is given up too."""
        with self._lock:
            token = self._held.pop((code, attachment), None)
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("attachment", code, attachment), jira_ref)
        pipe.delete(self._key("attachment_sending", code, attachment))
        if token is not None:
            pipe.eval(
                _RELEASE, 1, self._key("attachment_claim", code, attachment), token
            )
        pipe.execute()

    def release(self, code: str, attachment: int) -> None:
        """Give up the claim held on the attachment, if it is still held."""
        with self._lock:
            token = self._held.pop((code, attachment), None)
        if token is not None:
            key = self._key("attachment_claim", code, attachment)
            self._redis.eval(_RELEASE, 1, key, token)

    def mark_sending(self, code: str, attachment: int) -> None:
        key = self._key("attachment_sending", code, attachment)
        self._redis.set(key, str(int(time.time())))


# Delete a claim only if it still holds the owner's token.
_RELEASE = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0"
)
