"""Idempotent Jira requests are retried; creates and comments never are."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syncd.errors import (
    NotFoundError,
    OutcomeUnknown,
    RateLimited,
    ServiceUnavailable,
)
from syncd.jira.client import JiraClient
from syncd.jira.retrying import RetryPolicy

from .conftest import Site, bot_settings, make_draft


class Flaky:
    """Fails with the given errors in turn, then answers ``"done"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def policy(waits: list[float], **options: float) -> RetryPolicy:
    values = {"attempts": 4, "initial_seconds": 0.01, "max_seconds": 5.0, **options}
    return RetryPolicy(
        attempts=int(values["attempts"]),
        initial_seconds=values["initial_seconds"],
        max_seconds=values["max_seconds"],
        sleep=waits.append,
    )


def test_transient_failures_are_retried_until_an_answer() -> None:
    waits: list[float] = []
    request = Flaky(ServiceUnavailable("503"), OutcomeUnknown("dropped"))

    answer = policy(waits).call("get_issue", request)

    assert (answer, request.calls, len(waits)) == ("done", 3, 2)


def test_a_retry_after_is_waited_at_least() -> None:
    waits: list[float] = []
    request = Flaky(RateLimited("429", retry_after=2.5))

    policy(waits).call("update_issue", request)

    assert len(waits) == 1
    assert waits[0] >= 2.5


def test_a_retry_after_longer_than_the_longest_wait_is_raised_at_once() -> None:
    waits: list[float] = []
    request = Flaky(RateLimited("429", retry_after=120.0))

    with pytest.raises(RateLimited):
        policy(waits).call("update_issue", request)

    assert (request.calls, waits) == (1, [])


def test_attempts_are_bounded_and_the_last_error_raised() -> None:
    waits: list[float] = []
    request = Flaky(*(ServiceUnavailable(f"503 #{n}") for n in range(10)))

    with pytest.raises(ServiceUnavailable, match="503 #2"):
        policy(waits, attempts=3).call("search", request)

    assert request.calls == 3


def test_waits_grow_exponentially_up_to_the_cap() -> None:
    waits: list[float] = []
    request = Flaky(*(ServiceUnavailable("503") for _ in range(5)))

    policy(waits, attempts=6, initial_seconds=1.0, max_seconds=4.0).call("x", request)

    assert waits[0] >= 1.0
    assert waits[1] >= 2.0
    assert all(wait <= 4.0 for wait in waits)


def test_permanent_failures_are_not_retried() -> None:
    waits: list[float] = []
    request = Flaky(NotFoundError("404"))

    with pytest.raises(NotFoundError):
        policy(waits).call("get_issue", request)

    assert (request.calls, waits) == (1, [])


@pytest.fixture
def fast_client(site: Site) -> Iterator[JiraClient]:
    settings = bot_settings(
        site.url, retry_attempts=3, retry_initial_seconds=0.01, retry_max_seconds=0.1
    )
    jira = JiraClient.connect(settings)
    jira.draft_fields(make_draft(jira.flavour))
    yield jira
    jira.close()


def test_reads_and_puts_are_tried_again_but_a_create_once(
    site: Site, fast_client: JiraClient
) -> None:
    ref = fast_client.create_issue(make_draft(fast_client.flavour), properties={})
    site.store.set_faults(error_rate=1.0)
    site.store.clear_requests()

    with pytest.raises(ServiceUnavailable):
        fast_client.get_issue(ref.id)
    with pytest.raises(ServiceUnavailable):
        fast_client.update_issue(ref.id, {"summary": "again"})
    with pytest.raises(ServiceUnavailable):
        fast_client.create_issue(make_draft(fast_client.flavour), properties={})
    with pytest.raises(ServiceUnavailable):
        fast_client.add_comment(ref.id, "x" if site.flavour.value != "cloud" else {})
    site.store.clear_faults()

    assert site.requests_to("GET", f"/issue/{ref.id}") == 3
    assert site.requests_to("PUT", f"/issue/{ref.id}") == 3
    assert site.requests_to("POST", "/issue") == 1
    assert site.requests_to("POST", f"/issue/{ref.id}/comment") == 1
