"""Everything syncd remembers, in Redis.

Keys (all under the configured prefix ``P``)::

    P:link:<code>          hash   issue_id, issue_key, linked_at
    P:issue:<issue_id>     string submission code (the reverse link)
    P:seen:<code>          string lastUpdatedAt (unix s) of the version written
    P:fingerprint:<code>   hash   Jira field id -> digest of the value written
    P:cursor:<name>        string unix seconds; moves only after its batch
    P:claim:<code>         string owner token, with a TTL, while syncing it
    P:creating:<code>      string set before a create, removed with the link
    P:quarantine           hash   code -> JSON {updated_at, reason, error, at}
    P:status:<code>        hash   intigriti, jira: both sides' status when they
                                  last agreed or syncd last wrote (the baseline)
    P:carried:<code>       set    ids of messages/comments already carried over,
                                  and digests of text syncd posted (echoes)
    P:issue_seen:<id>      string Jira ``updated`` of the issue version handled

Writes are idempotent: replaying a window of submissions rewrites the same
values. Only ids, codes, keys and digests are stored here, never report text.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from syncd.claims import RELEASE_SCRIPT, OwedClaims
from syncd.errors import ConfigError
from syncd.jira.models import IssueRef
from syncd.settings import RedisSettings


class _Pool(redis.ConnectionPool):
    """A pool that skips its readiness check for a connection in busy use.

    Before handing a connection out, redis-py's pool reads it once more
    (non-blocking), in case the server closed it or an earlier command left
    a reply unread. Under a backfill's many threads that read costs every
    command a system call and often a thread switch. A connection put back
    less than ``FRESH_SECONDS`` ago skips it: redis-py drops a connection on
    any error or interruption while sending or reading, so none comes back
    with a reply unread. The one case left, the server closing connections
    within that second (a restart), fails the next command on each of them
    once, as it fails the commands in flight; a command is never sent twice.
    A RESP3 push frame waiting on a connection is no reply left unread:
    redis-py handles it while reading the next reply. Connections idle for
    longer, and a pool with client-side caching (which must see
    invalidations before it answers from its cache), keep the check.
    """

    FRESH_SECONDS = 1.0

    def release(self, connection: Any) -> None:
        connection.syncd_released_at = time.monotonic()
        super().release(connection)

    def ensure_connection(self, connection: Any) -> None:
        released: float | None = getattr(connection, "syncd_released_at", None)
        fresh = released is not None and (
            time.monotonic() - released < self.FRESH_SECONDS
        )
        if fresh and getattr(self, "cache", None) is None:
            connection.connect()  # a no-op while connected
            return
        super().ensure_connection(connection)


HEALTH_CHECK_SECONDS = 30


def connect_redis(settings: RedisSettings) -> redis.Redis:
    """Open a client and check the server answers; ConfigError if it does not."""
    try:
        pool = _Pool.from_url(
            settings.url.get_secret_value(),
            decode_responses=True,
            socket_timeout=settings.socket_timeout_seconds,
            socket_connect_timeout=settings.socket_timeout_seconds,
            health_check_interval=HEALTH_CHECK_SECONDS,
        )
    except ValueError:  # its message may quote part of the URL
        raise ConfigError(
            "SYNCD_REDIS__URL is not a valid Redis URL"
            " (redis://[:password@]host[:port][/db], rediss:// or unix://)"
        ) from None
    client = redis.Redis.from_pool(pool)  # closing the client closes the pool
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(
            f"Redis is not reachable ({type(exc).__name__}); "
            "check SYNCD_REDIS__URL and that the server is running"
        ) from None
    return client


def _carry(code: str, item: str) -> str:
    """The claim name for carrying one item of a submission."""
    return f"{code}:carry:{item}"


def _issue_ref(found: Mapping[str, str]) -> IssueRef | None:
    if not found:
        return None
    return IssueRef(id=found["issue_id"], key=found["issue_key"])


def digest(value: Any) -> str:
    """A stable digest of a JSON-able value, for change detection."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class QuarantineRecord:
    code: str
    updated_at: int
    reason: str
    error: str
    at: datetime


def _quarantine_record(code: str, raw: str) -> QuarantineRecord:
    data = json.loads(raw)
    return QuarantineRecord(
        code=code,
        updated_at=data["updated_at"],
        reason=data["reason"],
        error=data["error"],
        at=datetime.fromtimestamp(data["at"], tz=UTC),
    )


@dataclass(frozen=True)
class Standing:
    """What Redis holds on one submission, read in one round trip."""

    link: IssueRef | None
    seen: int | None
    quarantined_at: int | None  # the version a quarantine record is for

    def unchanged(self, updated_at: int) -> bool:
        """Linked, and this version was already written."""
        return self.link is not None and self.seen == updated_at

    def quarantined(self, updated_at: int) -> bool:
        """Quarantined at this very version (a newer version is tried again)."""
        return self.quarantined_at == updated_at


@dataclass(frozen=True)
class Held:
    """A submission's claim, with what only the claim's holder writes, as
    Redis held it when the claim was taken."""

    token: str
    link: IssueRef | None
    attempted_at: int | None  # when an unconfirmed create was sent, if one was
    fingerprints: dict[str, str]


@dataclass(frozen=True)
class Written:
    """What a sync wrote: recorded when its claim is released."""

    version: int | None  # the submission's lastUpdatedAt, once settled
    fingerprints: Mapping[str, str]


class State:
    """Links, cursors, fingerprints, claims and quarantine records.

    Each round trip to Redis costs a backfill worker more than the command
    itself (a thread switch or two), so what is read or written together
    goes in one pipeline.
    """

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self.owed = OwedClaims(client)

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    # Links: submission code <-> Jira issue id (the key changes on a move).

    def standing(self, code: str) -> Standing:
        """Link, version last written and quarantine record of a submission."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(self._key("link", code))
        pipe.get(self._key("seen", code))
        pipe.hget(self._key("quarantine"), code)
        found, seen, raw = pipe.execute()
        return Standing(
            link=_issue_ref(found),
            seen=None if seen is None else int(seen),
            quarantined_at=(
                None if raw is None else _quarantine_record(code, raw).updated_at
            ),
        )

    def link(self, code: str) -> IssueRef | None:
        found: dict[str, str] = self._redis.hgetall(self._key("link", code))  # type: ignore[assignment]
        return _issue_ref(found)

    def record_link(
        self,
        code: str,
        issue: IssueRef,
        linked_at: float | None = None,
        fingerprints: Mapping[str, str] | None = None,
    ) -> None:
        """Link a submission to its issue; messages placed from ``linked_at``
        on (default: now) are carried to it. ``fingerprints``: digests of
        the fields the issue was created with, recorded in the same step."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(
            self._key("link", code),
            mapping={
                "issue_id": issue.id,
                "issue_key": issue.key,
                "linked_at": str(int(time.time() if linked_at is None else linked_at)),
            },
        )
        pipe.set(self._key("issue", issue.id), code)
        pipe.delete(self._key("creating", code))
        if fingerprints:
            pipe.hset(
                self._key("fingerprint", code),
                mapping={k: v for k, v in fingerprints.items()},
            )
        pipe.execute()

    def drop_link(self, code: str) -> None:
        """Forget a submission's issue (a person deleted it) and everything
        recorded about what was written there, so a new issue gets it all."""
        found = self.link(code)
        keys = [
            self._key(kind, code)
            for kind in ("link", "fingerprint", "seen", "status", "carried")
        ]
        if found is not None:
            keys.append(self._key("issue", found.id))
        keys += self._redis.scan_iter(self._key("attachment", code, "*"), count=500)
        self._redis.delete(*keys)

    def mark_create_attempt(self, code: str) -> None:
        """Note that a create is about to be sent: its outcome may be lost."""
        # Rounded up: a marker earlier than the send would shorten the settle.
        self._redis.set(self._key("creating", code), str(math.ceil(time.time())))

    def clear_create_attempt(self, code: str) -> None:
        """Jira answered the create with an error: no issue was made."""
        self._redis.delete(self._key("creating", code))

    def code_for_issue(self, issue_id: str) -> str | None:
        code: str | None = self._redis.get(self._key("issue", issue_id))  # type: ignore[assignment]
        return code

    def link_count(self) -> int:
        return sum(1 for _ in self._redis.scan_iter(self._key("link", "*"), count=500))

    # What was last written, so that an unchanged submission costs no write.

    def seen(self, code: str) -> int | None:
        value: str | None = self._redis.get(self._key("seen", code))  # type: ignore[assignment]
        return None if value is None else int(value)

    def fingerprints(self, code: str) -> dict[str, str]:
        found: dict[str, str] = self._redis.hgetall(self._key("fingerprint", code))  # type: ignore[assignment]
        return found

    def _queue_written(self, pipe: Any, code: str, written: Written) -> None:
        if written.fingerprints:
            pipe.hset(
                self._key("fingerprint", code),
                mapping={k: v for k, v in written.fingerprints.items()},
            )
        if written.version is not None:
            pipe.set(self._key("seen", code), str(written.version))

    # Cursors.

    def cursor(self, name: str) -> int | None:
        value: str | None = self._redis.get(self._key("cursor", name))  # type: ignore[assignment]
        return None if value is None else int(value)

    def advance_cursor(self, name: str, value: int) -> None:
        """Move a cursor forward; never backwards, whoever wrote last."""
        script = (
            "local cur = tonumber(redis.call('GET', KEYS[1]) or '-1') "
            "if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end"
        )
        self._redis.eval(script, 1, self._key("cursor", name), str(value))

    # Claims: one creator per submission at a time.

    def claim(self, code: str, ttl_seconds: int) -> str | None:
        """Take the claim to sync a submission; the owner token, or None."""
        token = uuid.uuid4().hex
        key = self._key("claim", code)
        pipe = self.owed.take(key, token, ttl_seconds)
        with self.owed.owing(key, token):
            _, owner = pipe.execute()
        return token if owner == token else None

    def hold(self, code: str, ttl_seconds: int) -> Held | None:
        """Take the claim to sync a submission, reading its link, create
        marker and fingerprints in the same round trip; None when another
        worker holds it. Only a claim's holder writes those records, so
        nobody else changes them until the claim is released."""
        token = uuid.uuid4().hex
        key = self._key("claim", code)
        pipe = self.owed.take(key, token, ttl_seconds)
        pipe.hgetall(self._key("link", code))
        pipe.get(self._key("creating", code))
        pipe.hgetall(self._key("fingerprint", code))
        with self.owed.owing(key, token):
            _, owner, found, attempted, fingerprints = pipe.execute()
        if owner != token:
            return None
        return Held(
            token=token,
            link=_issue_ref(found),
            attempted_at=None if attempted is None else int(attempted),
            fingerprints=fingerprints,
        )

    def release_claim(
        self,
        code: str,
        token: str,
        *,
        release_quarantine: bool = False,
        written: Written | None = None,
    ) -> None:
        """Give the claim up if it is still ours, in one step with what the
        sync ``written`` and, with ``release_quarantine``, forgetting the
        submission's quarantine record (it synced). When Redis does not
        answer, the claim is owed and given up once it does."""
        key = self._key("claim", code)
        pipe = self._redis.pipeline(transaction=True)
        if written is not None:
            self._queue_written(pipe, code, written)
        if release_quarantine:
            pipe.hdel(self._key("quarantine"), code)
        pipe.eval(RELEASE_SCRIPT, 1, key, token)
        with self.owed.owing(key, token):
            pipe.execute()

    # Quarantine: submissions that cannot be synced until someone acts.

    def quarantine(self, code: str, updated_at: int, reason: str, error: str) -> None:
        """Park a submission until it changes again or someone releases it."""
        record = {
            "updated_at": updated_at,
            "reason": reason,
            "error": error,
            "at": int(time.time()),
        }
        self._redis.hset(self._key("quarantine"), code, json.dumps(record))

    def quarantine_record(self, code: str) -> QuarantineRecord | None:
        raw: str | None = self._redis.hget(self._key("quarantine"), code)  # type: ignore[assignment]
        return None if raw is None else _quarantine_record(code, raw)

    def release_quarantine(self, code: str) -> bool:
        """Forget one record; whether there was one."""
        return bool(self._redis.hdel(self._key("quarantine"), code))

    def release_all_quarantine(self) -> int:
        """Forget every record, so the next full pass tries them all again."""
        # Only the codes read here are freed: one quarantined meanwhile stays.
        codes: list[str] = self._redis.hkeys(self._key("quarantine"))  # type: ignore[assignment]
        if not codes:
            return 0
        released: int = self._redis.hdel(self._key("quarantine"), *codes)
        return released

    def quarantined(self) -> list[QuarantineRecord]:
        found: dict[str, str] = self._redis.hgetall(self._key("quarantine"))  # type: ignore[assignment]
        return [_quarantine_record(code, raw) for code, raw in sorted(found.items())]

    # Status and comment sync: the baseline each side is compared with.

    def status_baseline(self, code: str) -> tuple[str, str] | None:
        """Both sides' status when syncd last saw them agree or wrote one."""
        found: dict[str, str] = self._redis.hgetall(self._key("status", code))  # type: ignore[assignment]
        if not found:
            return None
        return found["intigriti"], found["jira"]

    def record_status(self, code: str, intigriti: str, jira: str) -> None:
        self._redis.hset(
            self._key("status", code), mapping={"intigriti": intigriti, "jira": jira}
        )

    def carried_items(self, code: str) -> set[str]:
        """Every message, comment and echo digest recorded for a submission."""
        found: set[str] = self._redis.smembers(self._key("carried", code))  # type: ignore[assignment]
        return found

    def claim_carry(self, code: str, item: str, ttl_seconds: int) -> str | None:
        """Claim carrying ``item``; the owner token, or None when another
        worker holds the claim or the item was recorded meanwhile."""
        token = uuid.uuid4().hex
        key = self._key("claim", _carry(code, item))
        pipe = self.owed.take(key, token, ttl_seconds)
        pipe.sismember(self._key("carried", code), item)
        with self.owed.owing(key, token):
            _, owner, recorded = pipe.execute()
        # Recorded meanwhile: the claim is left to expire, nobody needs it.
        return token if owner == token and not recorded else None

    def release_carry(self, code: str, item: str, token: str) -> None:
        """Give up a carry claim that did not lead to a recorded item."""
        self.release_claim(_carry(code, item), token)

    def record_carried(self, code: str, item: str) -> None:
        self._redis.sadd(self._key("carried", code), item)

    def issue_seen(self, issue_id: str) -> str | None:
        value: str | None = self._redis.get(self._key("issue_seen", issue_id))  # type: ignore[assignment]
        return value

    def record_issue_seen(self, issue_id: str, updated: str) -> None:
        self._redis.set(self._key("issue_seen", issue_id), updated)

    def linked_at(self, code: str) -> int | None:
        value: str | None = self._redis.hget(self._key("link", code), "linked_at")  # type: ignore[assignment]
        return None if value is None else int(value)
