"""The webhook receivers: signatures, freshness, replays, the trigger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from syncd.ops.health import Health
from syncd.ops.metrics import Metrics
from syncd.ops.server import create_app
from syncd.ops.triggers import SyncRequest
from syncd.ops.webhooks import IntigritiReceiver, JiraReceiver, intigriti_digest

from .conftest import INTIGRITI_SECRET, JIRA_SECRET, NOW, WINDOW, Recorder, serve


@pytest.fixture
def client(
    health: Health,
    metrics: Metrics,
    intigriti_receiver: IntigritiReceiver,
    jira_receiver: JiraReceiver,
) -> Iterator[httpx.Client]:
    app = create_app(
        health,
        metrics,
        intigriti_webhook=intigriti_receiver,
        jira_webhook=jira_receiver,
    )
    with serve(app) as client:
        yield client


def delivery(
    event: str = "SubmissionStatusChanged",
    created_at: float = NOW,
    code: str = "ACME-1234",
    secret: str = INTIGRITI_SECRET,
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "programId": "5b2d7c44-0000-4000-8000-000000000001",
            "programName": "Acme",
            "submissionCode": code,
            "userId": "5b2d7c44-0000-4000-8000-000000000002",
            "createdAt": created_at,
        },
        separators=(",", ":"),
    ).encode()
    headers = {
        "content-type": "application/json",
        "x-intigriti-event": event,
        "x-intigriti-digest": intigriti_digest(secret, body),
    }
    return body, headers


def post_intigriti(client: httpx.Client, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/webhooks/intigriti", content=body, headers=headers)


def webhook_count(metrics: Metrics, source: str, result: str) -> float:
    value = metrics.registry.get_sample_value(
        "syncd_webhook_deliveries_total", {"source": source, "result": result}
    )
    return value or 0.0


def test_a_signed_fresh_delivery_triggers_a_sync_of_its_submission(
    client: httpx.Client, recorder: Recorder, metrics: Metrics
) -> None:
    response = post_intigriti(client, *delivery())

    assert response.status_code == 204
    assert recorder.requests == [SyncRequest("intigriti", "ACME-1234")]
    assert webhook_count(metrics, "intigriti", "accepted") == 1


def test_a_forged_digest_is_refused_counted_and_not_processed(
    client: httpx.Client, recorder: Recorder, metrics: Metrics
) -> None:
    body, headers = delivery(secret="not-the-secret")

    response = post_intigriti(client, body, headers)

    assert response.status_code == 401
    assert recorder.requests == []
    assert webhook_count(metrics, "intigriti", "bad_signature") == 1


def test_a_body_changed_after_signing_is_refused(
    client: httpx.Client, recorder: Recorder
) -> None:
    body, headers = delivery(code="ACME-1")

    response = post_intigriti(client, body.replace(b"ACME-1", b"ACME-2"), headers)

    assert response.status_code == 401
    assert recorder.requests == []


def test_a_delivery_without_digest_is_refused(
    client: httpx.Client, recorder: Recorder
) -> None:
    body, headers = delivery()
    del headers["x-intigriti-digest"]

    response = post_intigriti(client, body, headers)

    assert response.status_code == 401
    assert recorder.requests == []


def test_a_replayed_delivery_is_refused_once_it_was_accepted(
    client: httpx.Client, recorder: Recorder, metrics: Metrics
) -> None:
    body, headers = delivery()

    first = post_intigriti(client, body, headers)
    again = post_intigriti(client, body, headers)

    assert (first.status_code, again.status_code) == (204, 409)
    assert recorder.requests == [SyncRequest("intigriti", "ACME-1234")]
    assert webhook_count(metrics, "intigriti", "replayed") == 1


@pytest.mark.parametrize("offset", [-(WINDOW + 1), WINDOW + 1])
def test_a_delivery_outside_the_window_is_stale(
    client: httpx.Client, recorder: Recorder, metrics: Metrics, offset: int
) -> None:
    response = post_intigriti(client, *delivery(created_at=NOW + offset))

    assert response.status_code == 400
    assert response.json() == {"error": "stale"}
    assert recorder.requests == []
    assert webhook_count(metrics, "intigriti", "stale") == 1


def test_created_at_in_milliseconds_is_understood(
    client: httpx.Client, recorder: Recorder
) -> None:
    response = post_intigriti(client, *delivery(created_at=NOW * 1000))

    assert response.status_code == 204
    assert len(recorder.requests) == 1


def test_an_unknown_event_type_is_malformed(
    client: httpx.Client, recorder: Recorder
) -> None:
    response = post_intigriti(client, *delivery(event="SubmissionDeleted"))

    assert response.status_code == 400
    assert recorder.requests == []


def test_the_activation_test_event_is_answered_without_a_sync(
    client: httpx.Client, recorder: Recorder
) -> None:
    response = post_intigriti(client, *delivery(event="TestEvent"))

    assert response.status_code == 204
    assert recorder.requests == []


def test_an_oversized_body_is_refused_before_it_is_read(
    client: httpx.Client, recorder: Recorder
) -> None:
    response = client.post(
        "/webhooks/intigriti", content=b"x" * 5000, headers={"x-intigriti-digest": ""}
    )

    assert response.status_code == 413
    assert recorder.requests == []


JIRA_EVENT = {
    "webhookEvent": "jira:issue_updated",
    "user": {"accountId": "a-person"},
    "issue": {"id": "10042", "key": "SEC-7"},
}


def test_jira_delivery_with_the_secret_in_the_query_triggers_its_issue(
    client: httpx.Client, recorder: Recorder
) -> None:
    response = client.post(f"/webhooks/jira?secret={JIRA_SECRET}", json=JIRA_EVENT)

    assert response.status_code == 204
    assert recorder.requests == [SyncRequest("jira", "10042")]


def test_jira_delivery_with_the_secret_in_a_header_is_accepted(
    client: httpx.Client, recorder: Recorder
) -> None:
    response = client.post(
        "/webhooks/jira",
        json=JIRA_EVENT,
        headers={"x-syncd-webhook-secret": JIRA_SECRET},
    )

    assert response.status_code == 204
    assert recorder.requests == [SyncRequest("jira", "10042")]


@pytest.mark.parametrize("query", ["", "?secret=wrong"])
def test_jira_delivery_without_the_right_secret_is_refused(
    client: httpx.Client, recorder: Recorder, metrics: Metrics, query: str
) -> None:
    response = client.post(f"/webhooks/jira{query}", json=JIRA_EVENT)

    assert response.status_code == 401
    assert recorder.requests == []
    assert webhook_count(metrics, "jira", "bad_signature") == 1


def test_jira_events_caused_by_syncd_itself_are_not_bounced_back(
    client: httpx.Client, recorder: Recorder
) -> None:
    own = {**JIRA_EVENT, "user": {"accountId": "bot-account"}}

    response = client.post(f"/webhooks/jira?secret={JIRA_SECRET}", json=own)

    assert response.status_code == 204
    assert recorder.requests == []


def test_receivers_without_a_secret_are_not_routed(
    health: Health, metrics: Metrics
) -> None:
    with serve(create_app(health, metrics)) as client:
        assert client.post("/webhooks/intigriti", content=b"{}").status_code == 404
        assert client.post("/webhooks/jira", content=b"{}").status_code == 404
