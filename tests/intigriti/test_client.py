"""The client against a faked transport: paths, errors, retries, 401s."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis
from structlog.testing import capture_logs

from syncd.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    RateLimited,
    RejectedError,
    ServiceUnavailable,
)
from syncd.intigriti.client import IntigritiClient
from syncd.intigriti.enums import CloseReason, StatusTrigger
from syncd.intigriti.models import Program
from syncd.intigriti.tokens import TokenProvider
from syncd.intigriti.transport import RetryPolicy, parse_retry_after

PROGRAM_ID = "3f0c9a5e-1b2d-4c6e-9f10-a1b2c3d4e5f6"
CODE = "NORTHWIND-7QK2XW9D"
PROGRAMS = [{"id": PROGRAM_ID, "handle": "northwindbbp", "name": "Northwind BBP"}]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(
    fake: Any, redis_client: redis.Redis, sleeps: Sleeps
) -> Iterator[Callable[..., IntigritiClient]]:
    made: list[IntigritiClient] = []

    def make(**settings: Any) -> IntigritiClient:
        config = fake.settings(**settings)
        tokens = TokenProvider(config, redis_client, "test", http=fake.http())
        policy = RetryPolicy(
            max_attempts=4,
            backoff_initial_seconds=0.01,
            backoff_max_seconds=0.05,
            budget_seconds=60,
            sleep=sleeps,
        )
        client = IntigritiClient(config, tokens, fake.http(), retry=policy)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def api(fake: Any) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in fake.api_requests()]


def test_get_submission_uses_v21_path_headers_and_program_names(
    fake: Any, make_client: Callable[..., IntigritiClient], sample: Any
) -> None:
    fake.routes[("GET", f"/company/v2.1/submissions/{CODE}")] = sample(
        "v21_submission_accepted"
    )
    fake.routes[("GET", "/company/v2.1/programs")] = PROGRAMS

    submission = make_client().get_submission(CODE)

    assert (submission.program_handle, submission.program_name) == (
        "northwindbbp",
        "Northwind BBP",
    )
    first = fake.api_requests()[0]
    assert first.headers["Accept"] == "application/json"
    assert first.headers["User-Agent"] == "syncd/0.1.0"
    assert first.headers["Authorization"] == "Bearer access-1"
    assert api(fake) == [
        ("GET", f"/external/company/v2.1/submissions/{CODE}"),
        ("GET", "/external/company/v2.1/programs"),
    ]


def test_program_list_is_cached_between_submissions(
    fake: Any, make_client: Callable[..., IntigritiClient], sample: Any
) -> None:
    fake.routes[("GET", f"/company/v2/submissions/{CODE}")] = sample(
        "v21_submission_accepted"
    )
    fake.routes[("GET", "/company/v2/programs")] = PROGRAMS
    client = make_client(api_version="v2.0")

    client.get_submission(CODE)
    client.get_submission(CODE)

    assert [path for _, path in api(fake)].count("/external/company/v2/programs") == 1


def test_list_submissions_sends_updated_since_in_unix_seconds(
    fake: Any,
    make_client: Callable[..., IntigritiClient],
    sample: Any,
    overview_of: Any,
) -> None:
    items = [
        overview_of(sample("v21_submission_accepted")),
        overview_of(sample("v21_submission_duplicate")),
    ]
    fake.routes[("GET", f"/company/v2.1/programs/{PROGRAM_ID}/submissions")] = items
    since = datetime(2024, 12, 21, 0, 0, tzinfo=UTC)

    summaries = make_client().list_submissions(since, program_id=PROGRAM_ID)

    request = fake.api_requests()[0]
    assert dict(request.url.params) == {"UpdatedSince": "1734739200"}
    # The server filters too; the client keeps only what is inside the window.
    assert [s.code for s in summaries] == [CODE]


def test_v12_lists_without_filters_and_filters_client_side(
    fake: Any, make_client: Callable[..., IntigritiClient], sample: Any
) -> None:
    old = sample("v12_submission_item")
    old.update(code="NORTHWIND-P4M8ZC1R", lastUpdatedAt=1734690000)
    other = sample("v12_submission_item")
    other.update(code="OTHERCO-ZZZZ0000")
    other["program"]["handle"] = "otherbbp"
    fake.routes[("GET", "/v1.2/submissions")] = [
        sample("v12_submission_item"),
        old,
        other,
    ]
    client = make_client(api_version="v1.2")
    since = datetime(2024, 12, 21, 0, 0, tzinfo=UTC)

    summaries = client.list_submissions(since, program_id="northwindbbp")
    programs = client.list_programs()

    assert [s.code for s in summaries] == [CODE]
    assert dict(fake.api_requests()[0].url.params) == {}
    assert [p.handle for p in programs] == ["northwindbbp", "otherbbp"]


def test_list_events_sends_created_since(
    fake: Any, make_client: Callable[..., IntigritiClient], sample: Any
) -> None:
    fake.routes[("GET", f"/company/v2.1/submissions/{CODE}/events")] = sample(
        "v21_events"
    )
    since = datetime(2024, 12, 21, 12, 0, tzinfo=UTC)

    events = make_client().list_events(CODE, since)

    assert dict(fake.api_requests()[0].url.params) == {"CreatedSince": "1734782400"}
    assert [e.type.value for e in events] == ["StatusChanged", "PayoutAdded"]


def test_writes_send_the_documented_bodies(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    base = f"/company/v2.1/submissions/{CODE}"
    fake.routes[("PUT", f"{base}/internal-reference")] = None
    fake.routes[("PUT", f"{base}/state")] = {"statusTriggers": [3]}
    fake.routes[("POST", f"{base}/comments/internal")] = {"messageId": "m-1"}
    client = make_client()

    client.set_internal_reference(CODE, "SEC-1", "https://jira.example/browse/SEC-1")
    client.change_state(
        CODE, StatusTrigger.CLOSE, CloseReason.DUPLICATE, "NORTHWIND-P4M8ZC1R"
    )
    message_id = client.add_comment(CODE, "Tracked in SEC-1", internal=True)

    bodies = [r.content for r in fake.api_requests()]
    assert message_id == "m-1"
    assert bodies == [
        b'{"reference":"SEC-1","url":"https://jira.example/browse/SEC-1"}',
        b'{"statusTrigger":2,"closeReason":2,"duplicateSubmission":"NORTHWIND-P4M8ZC1R"}',
        b'{"message":"Tracked in SEC-1"}',
    ]


def test_writes_on_v12_are_a_config_error_without_a_request(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    with pytest.raises(ConfigError, match=r"v1\.2 has no write endpoints"):
        make_client(api_version="v1.2").add_comment(CODE, "hello", internal=True)

    assert fake.requests == []


def test_server_errors_are_retried_then_succeed(
    fake: Any, make_client: Callable[..., IntigritiClient], sleeps: Sleeps
) -> None:
    fake.routes[("GET", "/company/v2.1/programs")] = PROGRAMS
    fake.script = [httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(502)]

    programs = make_client().list_programs()

    assert programs == [
        Program(id=PROGRAM_ID, handle="northwindbbp", name="Northwind BBP")
    ]
    assert len(fake.api_requests()) == 4
    assert len(sleeps) == 3


def test_server_errors_give_up_after_the_attempt_limit(
    fake: Any, make_client: Callable[..., IntigritiClient], sleeps: Sleeps
) -> None:
    fake.script = [httpx.Response(500)] * 5

    with capture_logs() as logs, pytest.raises(ServiceUnavailable):
        make_client().list_programs()

    assert len(fake.api_requests()) == 4
    failed = [e for e in logs if e["event"] == "intigriti.request_failed"]
    assert failed[0] == {
        "event": "intigriti.request_failed",
        "log_level": "warning",
        "operation": "list_programs",
        "submission": None,
        "status_code": 500,
    }
    retrying = [e for e in logs if e["event"] == "intigriti.request_retrying"]
    assert [e["attempt"] for e in retrying] == [1, 2, 3]


@pytest.mark.parametrize("status", [400, 409, 422])
def test_rejections_are_not_retried(
    fake: Any, make_client: Callable[..., IntigritiClient], status: int
) -> None:
    fake.script = [httpx.Response(status, json={"title": "nope"})]

    with pytest.raises(RejectedError) as caught:
        make_client().get_submission(CODE)

    assert caught.value.status_code == status
    assert len(fake.api_requests()) == 1


def test_missing_submission_is_not_found(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    fake.script = [httpx.Response(404)]

    with pytest.raises(NotFoundError):
        make_client().get_submission(CODE)


def test_non_idempotent_write_is_not_retried_after_a_server_error(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    fake.script = [httpx.Response(503)]

    with pytest.raises(ServiceUnavailable):
        make_client().add_comment(CODE, "hello", internal=False)

    assert len(fake.api_requests()) == 1


def test_write_is_retried_when_the_connection_was_never_made(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    fake.routes[("POST", f"/company/v2.1/submissions/{CODE}/comments/external")] = {
        "messageId": "m-2"
    }
    fake.script = [httpx.ConnectError("refused")]

    assert make_client().add_comment(CODE, "hello", internal=False) == "m-2"
    assert len(fake.api_requests()) == 2


def test_retry_after_in_seconds_is_honoured(
    fake: Any, make_client: Callable[..., IntigritiClient], sleeps: Sleeps
) -> None:
    fake.routes[("GET", "/company/v2.1/programs")] = PROGRAMS
    fake.script = [httpx.Response(429, headers={"Retry-After": "7"})]

    make_client().list_programs()

    assert sleeps == [7.0]


def test_forbidden_with_retry_after_date_is_a_rate_limit(
    fake: Any, make_client: Callable[..., IntigritiClient], sleeps: Sleeps
) -> None:
    fake.script = [
        httpx.Response(403, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    ] * 4

    with pytest.raises(RateLimited) as caught:
        make_client().list_programs()

    # A date in the past means "now".
    assert caught.value.retry_after == 0.0
    assert sleeps == [0.0, 0.0, 0.0]


def test_retry_after_longer_than_the_budget_is_left_to_the_caller(
    fake: Any, make_client: Callable[..., IntigritiClient], sleeps: Sleeps
) -> None:
    fake.script = [httpx.Response(429, headers={"Retry-After": "3600"})]

    with pytest.raises(RateLimited) as caught:
        make_client().list_programs()

    assert caught.value.retry_after == 3600.0
    assert sleeps == []


def test_forbidden_without_retry_after_is_an_auth_error(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    fake.script = [httpx.Response(403)]

    with pytest.raises(AuthError):
        make_client().list_programs()

    assert len(fake.api_requests()) == 1


def test_retry_after_parses_both_forms() -> None:
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)

    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 30.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_revoked_token_is_renewed_once_and_the_call_retried(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    fake.routes[("GET", "/company/v2.1/programs")] = PROGRAMS
    client = make_client()
    client.list_programs()
    fake.revoke_all()

    client.list_programs()

    assert [r.headers["Authorization"] for r in fake.api_requests()] == [
        "Bearer access-1",
        "Bearer access-1",
        "Bearer access-2",
    ]
    assert len(fake.grants) == 2


def test_second_401_after_renewal_is_an_auth_error(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    client = make_client()
    client.list_programs()
    fake.revoke_all()
    fake.script = [httpx.Response(401)]

    with pytest.raises(AuthError):
        client.list_programs()

    assert len(fake.grants) == 2


def test_static_token_refused_is_an_auth_error_without_token_requests(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    with pytest.raises(AuthError):
        make_client(auth="static", static_token="pasted").list_programs()

    assert fake.grants == []
    assert len(fake.api_requests()) == 1


def test_many_threads_hitting_401_together_cause_one_renewal(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    fake.routes[("GET", "/company/v2.1/programs")] = PROGRAMS
    clients = [make_client() for _ in range(10)]
    clients[0].list_programs()
    fake.revoke_all()
    fake.token_delay = 0.05
    barrier = threading.Barrier(len(clients))
    results: list[int] = []

    def work(client: IntigritiClient) -> None:
        barrier.wait()
        results.append(len(client.list_programs()))

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert results == [1] * 10
    assert len(fake.grants) == 2


def test_bearer_token_goes_only_to_the_api_and_redirects_are_not_followed(
    fake: Any, make_client: Callable[..., IntigritiClient]
) -> None:
    fake.script = [
        httpx.Response(302, headers={"Location": "https://evil.example/steal"})
    ]

    with pytest.raises(RejectedError):
        make_client().list_programs()

    hosts = {(r.url.host, "Authorization" in r.headers) for r in fake.requests}
    assert hosts == {("login.intigriti.test", False), ("api.intigriti.test", True)}
