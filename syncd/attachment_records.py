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
from dataclasses import dataclass

import redis

from syncd.claims import RELEASE_SCRIPT, OwedClaims

COMMENT_PREFIX = "comment:"


@dataclass
class Claim:
    """A copy claim taken by one worker; ``held`` until given up."""

    token: str
    was_sending: bool  # an earlier upload's outcome is unknown
    held: bool = True


class AttachmentRecords:
    """Records, claims and in-flight markers of copied attachments."""

    def __init__(
        self, client: redis.Redis, prefix: str, owed: OwedClaims | None = None
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._owed = OwedClaims(client) if owed is None else owed

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
        claim = Claim(token=uuid.uuid4().hex, was_sending=False)
        key = self._key("attachment_claim", code, attachment)
        pipe = self._owed.take(key, claim.token, ttl_seconds)
        pipe.exists(self._key("attachment", code, attachment))
        pipe.exists(self._key("attachment_sending", code, attachment))
        with self._owed.owing(key, claim.token):
            _, owner, copied, sending = pipe.execute()
        if owner != claim.token:
            return None
        if copied:  # another worker finished it just now
            self.release(code, attachment, claim)
            return None
        claim.was_sending = bool(sending)
        return claim

    def record(
        self, code: str, attachment: int, jira_ref: str, claim: Claim | None = None
    ) -> None:
        """Record the copy; ``claim``, if still held, is given up in the same
        round trip."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._key("attachment", code, attachment), jira_ref)
        pipe.delete(self._key("attachment_sending", code, attachment))
        if claim is not None and claim.held:
            key = self._key("attachment_claim", code, attachment)
            pipe.eval(RELEASE_SCRIPT, 1, key, claim.token)
        pipe.execute()
        if claim is not None:
            claim.held = False

    def release(self, code: str, attachment: int, claim: Claim) -> None:
        """Give the claim up, unless recording the copy already did; owed
        when Redis does not answer (the record failed with it, then)."""
        if not claim.held:
            return
        claim.held = False
        self._owed.release(self._key("attachment_claim", code, attachment), claim.token)

    def mark_sending(self, code: str, attachment: int) -> None:
        key = self._key("attachment_sending", code, attachment)
        self._redis.set(key, str(int(time.time())))
