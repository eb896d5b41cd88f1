"""Rate limits, injected faults, webhooks and the control API."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncd.sim.server import ServerThread
from tests.sim.jira.conftest import Site

pytestmark = pytest.mark.timeout(30)


def test_burst_limit_answers_429_with_jira_headers(site: Site) -> None:
    site.store.set_faults(burst_per_second=1, burst_capacity=2)
    with site.http() as http:
        statuses = [http.get(f"{site.api}/myself") for _ in range(3)]
    refused = statuses[-1]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Reason"] == "jira-burst-based"
    datetime.fromisoformat(refused.headers["X-RateLimit-Reset"])


def test_burst_limit_is_per_endpoint(site: Site) -> None:
    site.store.set_faults(burst_per_second=0.1, burst_capacity=1)
    with site.http() as http:
        assert http.get(f"{site.api}/myself").status_code == 200
        assert http.get(f"{site.api}/field").status_code == 200
        assert http.get(f"{site.api}/myself").status_code == 429


def test_per_issue_write_limit(site: Site) -> None:
    key = site.create()["key"]
    site.store.set_faults(per_issue_writes_per_second=0.1, per_issue_capacity=1)
    body = {"body": site.rich("x")}
    with site.http() as http:
        first = http.post(f"{site.api}/issue/{key}/comment", json=body)
        second = http.post(f"{site.api}/issue/{key}/comment", json=body)
    assert (first.status_code, second.status_code) == (201, 429)
    assert second.headers["RateLimit-Reason"] == "jira-per-issue-on-write"


def test_error_rate_gives_503_with_retry_after(site: Site) -> None:
    site.store.set_faults(error_rate=1.0, retry_after_s=7)
    with site.http() as http:
        response = http.get(f"{site.api}/myself")
    assert (response.status_code, response.headers["Retry-After"]) == (503, "7")


def test_drop_rate_breaks_the_connection(site: Site) -> None:
    site.store.set_faults(drop_rate=1.0)
    with site.http() as http, pytest.raises(httpx.TransportError):
        http.get(f"{site.api}/myself")


def test_control_api_over_http(site: Site) -> None:
    site.create()
    with httpx.Client(base_url=site.url, timeout=5) as http:
        log = http.get("/_sim/requests").json()
        assert log[-1]["method"] == "POST"
        assert set(log[-1]) == {"method", "path", "query", "status", "user", "at"}
        template = "POST /rest/api/{version}/issue"
        assert http.get("/_sim/counters").json() == {template: 1}
        faults = http.put("/_sim/faults", json={"latency_ms": 5}).json()
        assert faults["latency_ms"] == 5
        assert http.put("/_sim/faults", json={"nope": 1}).status_code == 400
        assert http.delete("/_sim/faults").json()["latency_ms"] == 0
        assert http.delete("/_sim/requests").status_code == 204
        assert http.get("/_sim/requests").json() == []
        assert http.post("/_sim/reset").status_code == 204
    assert site.store.issues == {}


class Receiver:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.arrived = threading.Event()

    async def endpoint(self, request: Request) -> Response:
        self.events.append(await request.json())
        self.arrived.set()
        return Response(status_code=204)


def test_webhooks_deliver_changelog_and_comments(site: Site) -> None:
    receiver = Receiver()
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    with ServerThread(app) as hook:
        site.store.set_webhook(f"{hook.url}/hook")
        try:
            key = site.create()["key"]
            client = site.client("alice")
            client.transition_issue(key, "11")
            client.add_comment(key, "looking")
            site.store.webhooks.flush()
        finally:
            site.store.set_webhook(None)
    kinds = [e["webhookEvent"] for e in receiver.events]
    assert kinds == ["jira:issue_created", "jira:issue_updated", "comment_created"]
    items = receiver.events[1]["changelog"]["items"]
    assert {
        "field": "status",
        "fromString": "To Do",
        "toString": "In Progress",
    }.items() <= items[0].items()
    assert receiver.events[1]["user"]["displayName"] == "Alice Analyst"
