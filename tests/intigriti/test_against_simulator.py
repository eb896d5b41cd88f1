"""The client, tokens and login over real HTTP against the Intigriti simulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis
from structlog.testing import capture_logs

from syncd.errors import AuthError, RateLimited, RejectedError
from syncd.intigriti import tokens as token_module
from syncd.intigriti.client import IntigritiClient
from syncd.intigriti.enums import CloseReason, StatusTrigger, SubmissionStatus
from syncd.intigriti.login import login_with_pkce
from syncd.intigriti.tokens import TokenProvider
from syncd.intigriti.transport import RetryPolicy
from syncd.settings import IntigritiSettings
from syncd.sim.intigriti import (
    FaultSettings,
    IntigritiSimConfig,
    IntigritiStore,
    create_app,
)
from syncd.sim.server import ServerThread, free_port


class Clock:
    """The simulator's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Sim:
    def __init__(self, server: ServerThread, store: IntigritiStore, clock: Clock):
        self.server = server
        self.store = store
        self.clock = clock

    def settings(self, **overrides: Any) -> IntigritiSettings:
        config = self.store.config
        values: dict[str, Any] = {
            "api_url": f"{self.server.url}/external",
            "token_url": f"{self.server.url}/connect/token",
            "authorize_url": f"{self.server.url}/connect/authorize",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        }
        values.update(overrides)
        return IntigritiSettings(**values)

    def issued(self, grant: str = "client_credentials") -> int:
        return self.store.counters()["tokens_issued"].get(grant, 0)


@pytest.fixture
def sim() -> Iterator[Sim]:
    clock = Clock()
    app = create_app(IntigritiSimConfig(size=12, seed=7), clock=clock)
    with ServerThread(app) as server:
        yield Sim(server, app.state.sim, clock)
    app.state.sim.close()


@pytest.fixture
def connect(
    sim: Sim, redis_client: redis.Redis
) -> Iterator[Callable[..., IntigritiClient]]:
    made: list[tuple[IntigritiClient, TokenProvider]] = []

    def make(sleep: Callable[[float], None] = lambda s: None, **settings: Any) -> Any:
        config = sim.settings(**settings)
        tokens = TokenProvider(config, redis_client, "sim", lock_wait_seconds=10)
        policy = RetryPolicy(
            max_attempts=4,
            backoff_initial_seconds=0.01,
            backoff_max_seconds=0.05,
            budget_seconds=30,
            sleep=sleep,
        )
        client = IntigritiClient(config, tokens, retry=policy)
        made.append((client, tokens))
        return client

    yield make
    for client, tokens in made:
        client.close()
        tokens.close()


def unknown(
    logs: list[MutableMapping[str, Any]],
) -> list[MutableMapping[str, Any]]:
    names = ("intigriti.unknown_field", "intigriti.unknown_enum")
    return [entry for entry in logs if entry["event"] in names]


@pytest.mark.parametrize("version", ["v2.1", "v2.0", "v1.2"])
def test_every_read_parses_simulator_shapes_without_surprises(
    sim: Sim, connect: Callable[..., IntigritiClient], version: str
) -> None:
    client = connect(api_version=version)

    with capture_logs() as logs:
        programs = client.list_programs()
        summaries = client.list_submissions(None)
        details = [client.get_submission(s.code) for s in summaries]
        events = client.list_events(summaries[0].code, None)

    visible = sim.store.submissions()
    assert [s.code for s in summaries] == [s.code for s in visible]
    # v1.2 only knows the programs its submissions name.
    assert {p.handle for p in programs} <= {p.handle for p in sim.store.programs()}
    assert len(programs) >= 1
    assert all(d.program_handle is not None for d in details)
    assert [e.created_at for e in events] == [
        datetime.fromtimestamp(e.created_at, UTC)
        for e in sim.store.events(summaries[0].code)
    ]
    assert unknown(logs) == []


def test_updated_since_returns_only_later_changes(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    stored = sim.store.submissions()
    cutoff = sorted(s.last_updated_at for s in stored)[len(stored) // 2]
    expected = sorted(s.code for s in stored if s.last_updated_at >= cutoff)
    since = datetime.fromtimestamp(cutoff, UTC)

    for version in ("v2.1", "v1.2"):
        summaries = connect(api_version=version).list_submissions(since)
        assert sorted(s.code for s in summaries) == expected


def test_writes_reach_the_simulator(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    code = sim.store.create_submission({"status": "triage"})
    client = connect()

    client.set_internal_reference(code, "SEC-9", "https://jira.example/browse/SEC-9")
    client.change_state(code, StatusTrigger.REOPEN)
    message_id = client.add_comment(code, "Tracked in SEC-9", internal=True)
    submission = client.get_submission(code)

    assert submission.internal_reference is not None
    assert submission.internal_reference.reference == "SEC-9"
    assert submission.status_name(sim.settings().enums) is SubmissionStatus.PENDING
    assert len(message_id) == 36


def test_a_refused_transition_is_a_rejection_and_is_not_retried(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    code = sim.store.create_submission({"status": "triage"})
    sim.store.clear_requests()

    with pytest.raises(RejectedError) as caught:
        connect().change_state(code, StatusTrigger.ARCHIVE)

    assert caught.value.status_code == 409
    puts = [r for r in sim.store.requests() if r["method"] == "PUT"]
    assert len(puts) == 1


def test_closing_as_duplicate_sends_reason_and_parent(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    parent = sim.store.create_submission({"status": "triage"})
    child = sim.store.create_submission({"status": "triage"})
    client = connect()

    client.change_state(child, StatusTrigger.CLOSE, CloseReason.DUPLICATE, parent)
    submission = client.get_submission(child)

    assert submission.close_reason_name(sim.settings().enums) is CloseReason.DUPLICATE
    assert submission.duplicate_of == parent


def test_many_workers_hitting_a_revoked_token_cause_one_refresh(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    clients = [connect() for _ in range(10)]
    clients[0].list_programs()
    before = sim.issued()
    sim.store.revoke_tokens()
    barrier = threading.Barrier(len(clients))
    failures: list[BaseException] = []

    def work(client: IntigritiClient) -> None:
        barrier.wait()
        try:
            client.list_programs()
        except Exception as exc:  # noqa: BLE001 - collected for the assert
            failures.append(exc)

    with capture_logs() as logs:
        threads = [threading.Thread(target=work, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)

    assert failures == []
    assert sim.issued() - before == 1
    assert [e["event"] for e in logs].count("intigriti.token_refreshed") == 1


def test_token_expiring_mid_run_is_refreshed_exactly_once(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    client = connect()
    client.list_programs()
    before = sim.issued()

    # The simulator's clock passes the 14-day lifetime; Redis still holds it.
    sim.clock.now += 15 * 24 * 3600
    try:
        for _ in range(3):
            client.list_programs()
    finally:
        sim.clock.now = time.time()

    assert sim.issued() - before == 1


def test_static_token_works_until_revoked_then_is_an_auth_error(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    static = sim.store.config.static_token
    assert static is not None
    client = connect(auth="static", static_token=static)
    assert client.list_programs() != []

    sim.store.revoke_tokens(static.get_secret_value())

    with pytest.raises(AuthError):
        client.list_programs()
    assert sim.store.counters()["tokens_issued"] == {}


def test_wrong_client_secret_is_an_auth_error(
    connect: Callable[..., IntigritiClient],
) -> None:
    with pytest.raises(AuthError, match="HTTP 401, error=invalid_client"):
        connect(client_secret="not-the-secret").list_programs()


def test_server_errors_are_retried_until_the_simulator_recovers(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    connect().list_programs()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            sim.store.clear_faults()

    sim.store.set_faults(FaultSettings(error_rate=1.0, path="/programs"))

    assert connect(sleep=sleep).list_programs() != []
    assert len(waits) == 2


@pytest.mark.parametrize(
    ("status", "form"), [(429, "seconds"), (429, "http-date"), (403, "seconds")]
)
def test_throttling_honours_retry_after_in_both_forms(
    sim: Sim, connect: Callable[..., IntigritiClient], status: Any, form: Any
) -> None:
    connect().list_programs()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        sim.store.clear_faults()

    sim.store.set_faults(
        FaultSettings(
            throttle_rate=1.0,
            throttle_status=status,
            retry_after=20,
            retry_after_form=form,
            path="/programs",
        )
    )
    sim.clock.now = time.time()  # the HTTP date is counted from it

    connect(sleep=sleep).list_programs()

    assert len(waits) == 1
    assert 18 <= waits[0] <= 20


def test_throttling_beyond_the_budget_is_left_to_the_caller(
    sim: Sim, connect: Callable[..., IntigritiClient]
) -> None:
    sim.store.set_faults(
        FaultSettings(throttle_rate=1.0, retry_after=3600, path="/programs")
    )

    with pytest.raises(RateLimited) as caught:
        connect().list_programs()

    assert caught.value.retry_after == 3600.0


def test_login_then_refresh_rotation_through_the_simulator(
    sim: Sim,
    connect: Callable[..., IntigritiClient],
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # This test edits the Redis keys under the client: no per-process memory.
    monkeypatch.setattr(token_module, "REMEMBER_SECONDS", 0.0)
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    settings = sim.settings(auth="refresh_token", redirect_uri=redirect)
    browsers: list[threading.Thread] = []

    def open_url(url: str) -> None:
        # The simulator consents at once and redirects to our loopback server.
        thread = threading.Thread(
            target=httpx.get, args=(url,), kwargs={"follow_redirects": True}
        )
        thread.start()
        browsers.append(thread)

    login_with_pkce(settings, redis_client, open_url, key_prefix="sim")
    for thread in browsers:
        thread.join(timeout=5)
    first_refresh = redis_client.get("sim:intigriti:refresh_token")
    client = connect(auth="refresh_token", redirect_uri=redirect)
    client.list_programs()
    cached = redis_client.get("sim:intigriti:access_token")
    assert isinstance(cached, bytes)
    sim.store.revoke_tokens(cached.decode())

    client.list_programs()

    second_refresh = redis_client.get("sim:intigriti:refresh_token")
    assert first_refresh is not None
    assert second_refresh not in (None, first_refresh)
    assert sim.issued("authorization_code") >= 1
    # The spent refresh token is refused: rotation must be stored, not reused.
    redis_client.set("sim:intigriti:refresh_token", first_refresh)
    redis_client.delete("sim:intigriti:access_token")
    with pytest.raises(AuthError, match="error=invalid_grant"):
        client.list_programs()
