"""Claims whose release Redis did not answer are given up once it does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from syncd.attachment_records import AttachmentRecords
from syncd.claims import OwedClaims
from syncd.settings import RedisSettings
from syncd.sim.redis_server import RedisServer
from syncd.state import State, connect_redis


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    # Persistent, as in production: a claim taken before a restart survives it.
    server = RedisServer(tmp_path / "redis", persistent=True).start()
    try:
        yield server
    finally:
        server.stop()


def _client(server: RedisServer) -> redis.Redis:
    return connect_redis(RedisSettings(url=server.url, socket_timeout_seconds=1))


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

    assert owed.settle() == 1
    assert client.get("test:claim:ACME-1") == "new-token"
    assert owed.settle() == 0


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

    assert len(state.owed) == 1
    assert state.owed.settle() == 1
    assert client.exists("test:attachment_claim:ACME-1:7") == 0
