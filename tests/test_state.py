"""Redis state: links, cursors, digests, claims and quarantine."""

from __future__ import annotations

import time

import pytest
import redis

from syncd.errors import ConfigError
from syncd.jira.models import IssueRef
from syncd.settings import RedisSettings
from syncd.sim.server import free_port
from syncd.state import Held, State, Written, _Pool, connect_redis, digest


@pytest.fixture
def state(redis_url: str) -> State:
    client = connect_redis(RedisSettings(url=redis_url))
    return State(client, "test")


def test_a_link_is_kept_by_issue_id_both_ways(state: State) -> None:
    state.record_link("ACME-1", IssueRef(id="10001", key="SEC-1"))

    assert state.link("ACME-1") == IssueRef(id="10001", key="SEC-1")
    assert state.code_for_issue("10001") == "ACME-1"
    assert state.link("ACME-2") is None


def test_a_cursor_never_moves_backwards(state: State) -> None:
    state.advance_cursor("c", 200)
    state.advance_cursor("c", 100)

    assert state.cursor("c") == 200


def test_only_one_claim_at_a_time_and_only_its_owner_releases_it(
    state: State,
) -> None:
    first = state.claim("ACME-1", ttl_seconds=30)
    second = state.claim("ACME-1", ttl_seconds=30)
    assert first is not None
    assert second is None

    state.release_claim("ACME-1", "not-the-owner")
    assert state.claim("ACME-1", ttl_seconds=30) is None

    state.release_claim("ACME-1", first)
    assert state.claim("ACME-1", ttl_seconds=30) is not None


def _held(state: State, code: str) -> Held:
    held = state.hold(code, ttl_seconds=30)
    assert held is not None
    state.release_claim(code, held.token)
    return held


def test_holding_a_claim_reads_what_only_its_holder_writes(state: State) -> None:
    empty = state.hold("ACME-1", ttl_seconds=30)
    assert empty is not None
    assert (empty.link, empty.attempted_at, empty.fingerprints) == (None, None, {})
    assert state.hold("ACME-1", ttl_seconds=30) is None  # held
    assert state.claim("ACME-1", ttl_seconds=30) is None  # the same claim
    state.release_claim("ACME-1", empty.token)

    before = time.time()
    state.mark_create_attempt("ACME-1")
    attempted = _held(state, "ACME-1").attempted_at
    assert attempted is not None
    # Never earlier than the create: the settle it starts is never shortened.
    assert before <= attempted <= time.time() + 1


def test_a_create_attempt_is_cleared_by_its_link(state: State) -> None:
    state.mark_create_attempt("ACME-1")
    state.record_link("ACME-1", IssueRef(id="1", key="SEC-1"))

    held = _held(state, "ACME-1")
    assert held.attempted_at is None
    assert held.link == IssueRef(id="1", key="SEC-1")


def test_what_a_sync_wrote_is_recorded_as_its_claim_is_released(
    state: State,
) -> None:
    held = state.hold("ACME-1", ttl_seconds=30)
    assert held is not None
    written = Written(1700000000, {"summary": digest("A title")})

    state.release_claim("ACME-1", held.token, written=written)

    assert state.seen("ACME-1") == 1700000000
    assert state.fingerprints("ACME-1") == {"summary": digest("A title")}
    assert _held(state, "ACME-1").fingerprints == {"summary": digest("A title")}


def test_a_released_claim_records_nothing_for_a_sync_that_wrote_nothing(
    state: State,
) -> None:
    held = state.hold("ACME-1", ttl_seconds=30)
    assert held is not None

    state.release_claim("ACME-1", held.token, written=Written(None, {}))

    assert state.seen("ACME-1") is None
    assert state.fingerprints("ACME-1") == {}
    assert state.claim("ACME-1", ttl_seconds=30) is not None


def test_a_link_can_be_recorded_with_the_digests_of_the_new_issue(
    state: State,
) -> None:
    state.mark_create_attempt("ACME-1")
    state.record_link(
        "ACME-1", IssueRef(id="1", key="SEC-1"), fingerprints={"summary": "d1"}
    )

    held = _held(state, "ACME-1")
    assert held.fingerprints == {"summary": "d1"}
    assert held.attempted_at is None


def test_standing_reads_link_version_and_quarantine_together(state: State) -> None:
    empty = state.standing("ACME-1")
    assert (empty.link, empty.seen, empty.quarantined_at) == (None, None, None)
    assert not empty.unchanged(100)

    state.record_link("ACME-1", IssueRef(id="1", key="SEC-1"))
    token = state.claim("ACME-1", ttl_seconds=30)
    assert token is not None
    state.release_claim("ACME-1", token, written=Written(100, {}))
    state.quarantine("ACME-1", 90, reason="r", error="Rejected")
    standing = state.standing("ACME-1")

    assert standing.link == IssueRef(id="1", key="SEC-1")
    assert standing.unchanged(100)
    assert not standing.unchanged(101)
    assert standing.quarantined(90)
    assert not standing.quarantined(100)


def test_releasing_a_claim_can_release_the_quarantine_record_too(
    state: State,
) -> None:
    state.quarantine("ACME-1", 100, reason="r", error="Rejected")
    token = state.claim("ACME-1", ttl_seconds=30)
    assert token is not None

    state.release_claim("ACME-1", token, release_quarantine=True)

    assert state.quarantined() == []
    assert state.claim("ACME-1", ttl_seconds=30) is not None


def test_a_carry_claim_is_refused_once_the_item_is_recorded(state: State) -> None:
    assert state.carried_items("ACME-1") == set()
    first = state.claim_carry("ACME-1", "i:1", ttl_seconds=30)
    assert first is not None
    assert state.claim_carry("ACME-1", "i:1", ttl_seconds=30) is None  # held

    state.record_carried("ACME-1", "i:1")
    state.release_carry("ACME-1", "i:1", first)

    assert state.claim_carry("ACME-1", "i:1", ttl_seconds=30) is None  # recorded
    assert state.carried_items("ACME-1") == {"i:1"}


def test_digest_ignores_key_order() -> None:
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})


def test_quarantine_holds_one_version_until_the_submission_changes(
    state: State,
) -> None:
    state.quarantine("ACME-1", 100, reason="jira rejected field x", error="Rejected")

    assert state.standing("ACME-1").quarantined(100)
    assert not state.standing("ACME-1").quarantined(101)
    [record] = state.quarantined()
    assert (record.code, record.updated_at, record.error) == ("ACME-1", 100, "Rejected")

    state.release_quarantine("ACME-1")
    assert state.quarantined() == []


def test_an_unreachable_redis_is_a_config_error_naming_the_setting() -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"

    with pytest.raises(ConfigError, match="SYNCD_REDIS__URL"):
        connect_redis(RedisSettings(url=closed, socket_timeout_seconds=1))


def test_a_password_protected_redis_needs_the_password(tmp_path) -> None:
    from syncd.sim.redis_server import RedisServer

    with RedisServer(tmp_path, password="s3cret-pass") as server:
        without = server.url.replace(":s3cret-pass@", "")
        with pytest.raises(ConfigError) as raised:
            connect_redis(RedisSettings(url=without))
        client = connect_redis(RedisSettings(url=server.url))

    assert isinstance(client, redis.Redis)
    assert "s3cret-pass" not in str(raised.value)


def test_a_quarantine_record_is_read_by_code(state: State) -> None:
    state.quarantine("ACME-1", 100, reason="jira rejected field x", error="Rejected")

    record = state.quarantine_record("ACME-1")

    assert record is not None
    assert (record.code, record.updated_at, record.reason) == (
        "ACME-1",
        100,
        "jira rejected field x",
    )
    assert state.quarantine_record("ACME-2") is None


def test_releasing_says_whether_there_was_a_record(state: State) -> None:
    state.quarantine("ACME-1", 100, reason="r", error="Rejected")

    assert state.release_quarantine("ACME-1") is True
    assert state.release_quarantine("ACME-1") is False


def test_release_all_quarantine_frees_every_record(state: State) -> None:
    for number in range(3):
        state.quarantine(f"ACME-{number}", 100, reason="r", error="Rejected")

    released = state.release_all_quarantine()

    assert released == 3
    assert state.quarantined() == []
    assert not state.standing("ACME-1").quarantined(100)
    assert state.release_all_quarantine() == 0


def test_pooled_connections_the_server_dropped_are_replaced(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Pool, "FRESH_SECONDS", 0.2)
    client = connect_redis(RedisSettings(url=redis_url))
    state = State(client, "test")
    state.record_link("ACME-1", IssueRef(id="1", key="SEC-1"))
    admin = redis.Redis.from_url(redis_url)

    for _ in range(2):
        # The server closes the pooled connection (a restart, an idle
        # timeout): once it has been idle a while, the pool notices and
        # reconnects before sending anything.
        assert admin.client_kill_filter(_type="normal", skipme=True) >= 1
        time.sleep(0.3)
        assert state.link("ACME-1") == IssueRef(id="1", key="SEC-1")
        admin.client_kill_filter(_type="normal", skipme=True)
        time.sleep(0.3)
        held = state.hold("ACME-1", ttl_seconds=30)  # a pipeline
        assert held is not None
        state.release_claim("ACME-1", held.token)

    # Closed right after use: the next command fails once, is not sent
    # twice, and the one after it gets a new connection. However slow the
    # host, the pool still takes the connection for fresh.
    monkeypatch.setattr(_Pool, "FRESH_SECONDS", 3600)
    admin.client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(redis.ConnectionError):
        state.claim("ACME-1", ttl_seconds=30)
    assert state.claim("ACME-1", ttl_seconds=30) is not None

    admin.close()
    client.close()
