"""Taking and giving up claims, including those Redis did not answer.

A claim is a Redis string holding its owner's random token, with a TTL:
while it exists, one worker (thread or replica) syncs a submission, carries
an item or copies an attachment. ``RELEASE_SCRIPT`` deletes a claim only
while it still holds the owner's token.

Either end can lose its answer. A take whose reply timed out may have been
applied, the claim existing although its taker never learnt so; a release
can fail as Redis restarts. The claim would then hold its submission for the
rest of its TTL (minutes), and a server restarted with persistence still has
it. ``OwedClaims`` keeps claims whose take or release got no answer and gives
them up the next time a claim is taken, so a submission that changed during
an outage syncs as soon as Redis answers again. A take also reads the owner
back in the same round trip: it is ours when the key holds our token,
whatever the SET answered, so a client configured to retry would not take
its own claim for someone else's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import redis
import structlog
from redis.client import Pipeline

log = structlog.get_logger(__name__)

# Delete a claim only if it still holds the owner's token.
RELEASE_SCRIPT = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0"
)


class OwedClaims:
    """Claims whose take or release got no answer from Redis, given up later.

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

    def take(self, key: str, token: str, ttl_seconds: int) -> Pipeline:
        """A pipeline that takes a claim, once owed ones are given up.

        Its first two replies are the SET's and the owner's token: the take
        succeeded when that owner is ``token``, whatever the SET said. The
        caller queues what the claim protects and executes the pipeline
        inside ``owing``.
        """
        self.settle()
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(key, token, nx=True, ex=ttl_seconds)
        pipe.get(key)
        return pipe

    @contextmanager
    def owing(self, key: str, token: str) -> Iterator[None]:
        """Owe the claim if the block, taking or giving it up, raises: Redis
        may have applied the take, or not the release. The token is unique,
        so owing a claim that is not there is harmless."""
        try:
            yield
        except BaseException:
            self.owe(key, token)
            raise

    def release(self, key: str, token: str) -> None:
        """Give one claim up now; owed when Redis does not answer."""
        with self.owing(key, token):
            self._redis.eval(RELEASE_SCRIPT, 1, key, token)

    def owe(self, key: str, token: str) -> None:
        """Remember a claim whose take or release got no answer."""
        self._keep({(key, token)})

    def _keep(self, entries: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            self._owed.update(entries)

    def settle(self) -> int:
        """Give every owed claim up in one round trip; how many were deleted.

        Never raises a Redis error: while Redis does not answer, or answers
        with an error (busy with a script, read-only after a failover), the
        claims stay owed and the caller's own next command reports it. Only
        a claim whose key now holds another type is dropped, and logged: no
        later attempt could give it up.
        """
        with self._lock:
            owed, self._owed = self._owed, set()
        if not owed:
            return 0
        entries = list(owed)
        pipe = self._redis.pipeline(transaction=False)
        for key, token in entries:
            pipe.eval(RELEASE_SCRIPT, 1, key, token)
        try:
            results = pipe.execute(raise_on_error=False)
        except redis.RedisError:
            self._keep(owed)
            return 0
        except BaseException:
            self._keep(owed)
            raise
        failed = {
            entry: result
            for entry, result in zip(entries, results, strict=True)
            if isinstance(result, Exception)
        }
        refused = [e for e, r in failed.items() if str(r).startswith("WRONGTYPE")]
        if refused:
            log.warning("claims.refused", count=len(refused), error="WRONGTYPE")
        self._keep(failed.keys() - set(refused))
        released = sum(1 for result in results if result == 1)
        log.info(
            "claims.settled",
            owed=len(entries),
            released=released,
            kept=len(failed) - len(refused),
        )
        return released
