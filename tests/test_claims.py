"""Claims whose release Redis did not answer are given up once it does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.retry
from redis.backoff import NoBackoff

from syncd.attachment_records import AttachmentRecords
from syncd.claims import OwedClaims
from syncd.settings import RedisSettings
from syncd.sim.redis_server import RedisServer
from syncd.state import State, connect_redis

# Keeps the server busy for ARGV[1] microseconds, as a slow command or a
# stalled host would: commands sent meanwhile are applied afterwards.
BUSY_SCRIPT = """
local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > tonumber(ARGV[1])
return 1
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    # Persistent, as in production: a claim taken before a restart survives it.
    server = RedisServer(tmp_path / "redis", persistent=True).start()
    try:
        yield server
    finally:
        server.stop()


def _client(server: RedisServer, timeout: float = 1) -> redis.Redis:
    return connect_redis(RedisSettings(url=server.url, socket_timeout_seconds=timeout))


def test_a_claim_whose_release_failed_is_given_up_when_redis_is_back(
    server: RedisServer,
) -> None:
    state = State(_client(server), "test")
    held = state.hold("ACME-1", ttl_seconds=300)
    assert held is not None

    server.stop()
    with pytest.raises(redis.ConnectionError):
        state.release_claim("ACME-1", held.token)
    assert len(state.owed) == 1
    assert state.owed.settle() == 0  # still down: kept, nothing raised
    assert len(state.owed) == 1

    server.start()
    admin = redis.Redis.from_url(server.url, decode_responses=True)
    assert admin.get("test:claim:ACME-1") == held.token  # the restart kept it
    again = state.hold("ACME-1", ttl_seconds=300)

    assert again is not None  # not held for the rest of the 300 s
    assert len(state.owed) == 0
    state.release_claim("ACME-1", again.token)
    assert admin.exists("test:claim:ACME-1") == 0
    admin.close()


def test_an_owed_claim_taken_over_meanwhile_is_left_to_its_new_owner(
    server: RedisServer,
) -> None:
    client = _client(server)
    owed = OwedClaims(client)
    owed.owe("test:claim:ACME-1", "old-token")
    client.set("test:claim:ACME-1", "new-token")

    assert owed.settle() == 0  # nothing of ours to delete
    assert client.get("test:claim:ACME-1") == "new-token"
    assert len(owed) == 0


def test_a_claim_redis_refuses_to_give_up_is_dropped_not_retried_forever(
    server: RedisServer,
) -> None:
    client = _client(server)
    owed = OwedClaims(client)
    client.hset("test:claim:ACME-1", mapping={"not": "a claim"})  # WRONGTYPE
    client.set("test:claim:ACME-2", "token-2")
    owed.owe("test:claim:ACME-1", "token-1")
    owed.owe("test:claim:ACME-2", "token-2")

    assert owed.settle() == 1
    assert client.exists("test:claim:ACME-2") == 0
    assert len(owed) == 0  # the refused one is left to its TTL, not retried


def _stall(server: RedisServer, seconds: float) -> threading.Thread:
    """Keep the server busy for ``seconds``; returns once the stall has begun."""
    admin = redis.Redis.from_url(server.url)

    def busy() -> None:
        admin.eval(BUSY_SCRIPT, 0, int(seconds * 1_000_000))
        admin.close()

    stall = threading.Thread(target=busy)
    stall.start()
    probe = redis.Redis.from_url(
        server.url, socket_timeout=0.05, retry=redis.retry.Retry(NoBackoff(), 0)
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            probe.ping()
        except (redis.TimeoutError, redis.ResponseError):  # stalled, or BUSY
            break
    probe.close()
    return stall


def test_a_claim_taken_while_its_reply_was_lost_does_not_hold_the_submission(
    server: RedisServer,
) -> None:
    # The take reaches Redis while it is stalled; the client times out (it
    # does not retry), and Redis applies the SET afterwards.
    state = State(_client(server, timeout=0.3), "test")
    stall = _stall(server, 1.5)
    with pytest.raises(redis.TimeoutError):
        state.hold("ACME-1", ttl_seconds=300)
    assert len(state.owed) == 1
    stall.join()

    admin = redis.Redis.from_url(server.url, decode_responses=True)
    assert admin.exists("test:claim:ACME-1") == 1  # applied, unanswered
    held = state.hold("ACME-1", ttl_seconds=300)
    assert held is not None  # not held for the rest of the 300 s by itself
    state.release_claim("ACME-1", held.token)
    assert admin.exists("test:claim:ACME-1") == 0
    assert len(state.owed) == 0
    admin.close()


def test_owed_claims_stay_owed_while_redis_answers_busy(
    server: RedisServer,
) -> None:
    client = _client(server, timeout=5)
    client.config_set("busy-reply-threshold", 100)  # BUSY after 0.1 s
    client.set("test:claim:ACME-1", "token-1")
    owed = OwedClaims(client)
    owed.owe("test:claim:ACME-1", "token-1")

    stall = _stall(server, 1.5)
    assert owed.settle() == 0  # answered BUSY: kept, nothing raised
    assert len(owed) == 1
    stall.join()

    assert owed.settle() == 1
    assert client.exists("test:claim:ACME-1") == 0


def test_attachment_claims_are_owed_to_the_same_ledger(
    server: RedisServer,
) -> None:
    # One ledger, settled at each cycle's start and before each claim.
    client = _client(server)
    state = State(client, "test")
    records = AttachmentRecords(client, "test", state.owed)
    claim = records.claim("ACME-1", 7, ttl_seconds=300)
    assert claim is not None

    server.stop()
    with pytest.raises(redis.ConnectionError):
        records.release("ACME-1", 7, claim)
    server.start()

    assert client.get("test:attachment_claim:ACME-1:7") == claim.token
    assert len(state.owed) == 1
    assert state.owed.settle() == 1
    assert client.exists("test:attachment_claim:ACME-1:7") == 0
