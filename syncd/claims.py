"""Giving claims up, including those Redis did not answer the release of.

A claim is a Redis string holding its owner's random token, with a TTL:
while it exists, one worker (thread or replica) syncs a submission, carries
an item or copies an attachment. ``RELEASE_SCRIPT`` deletes a claim only
while it still holds the owner's token.

A release can fail: Redis restarted or was unreachable as a sync ended. The
claim would then hold its submission for the rest of its TTL (minutes), and
a server restarted with persistence still has it. ``OwedClaims`` keeps such
claims and gives them up the next time a claim is taken, so a submission
that changed during the outage syncs as soon as Redis answers again.
"""

from __future__ import annotations

import threading

import redis
import structlog

log = structlog.get_logger(__name__)

# Delete a claim only if it still holds the owner's token.
RELEASE_SCRIPT = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0"
)


class OwedClaims:
    """Claims whose release did not reach Redis, given up later.

    Giving one up twice is harmless: the script deletes nothing once the
    claim is gone or held by someone else.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._lock = threading.Lock()
        self._owed: set[tuple[str, str]] = set()

    def __len__(self) -> int:
        with self._lock:
            return len(self._owed)

    def release(self, key: str, token: str) -> None:
        """Give one claim up now; owed when Redis does not answer."""
        try:
            self._redis.eval(RELEASE_SCRIPT, 1, key, token)
        except redis.RedisError:
            self.owe(key, token)
            raise

    def owe(self, key: str, token: str) -> None:
        """Remember a claim whose release failed."""
        with self._lock:
            self._owed.add((key, token))

    def settle(self) -> int:
        """Give every owed claim up in one round trip; how many were.

        Never raises: while Redis does not answer they stay owed, and the
        caller's own next command reports the outage.
        """
        with self._lock:
            owed, self._owed = self._owed, set()
        if not owed:
            return 0
        pipe = self._redis.pipeline(transaction=False)
        for key, token in owed:
            pipe.eval(RELEASE_SCRIPT, 1, key, token)
        try:
            pipe.execute()
        except redis.RedisError:
            with self._lock:
                self._owed |= owed
            return 0
        log.info("claims.settled", count=len(owed))
        return len(owed)
