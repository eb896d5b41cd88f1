"""Signed attachment links and signed webhook deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncd.sim.server import ServerThread

from .conftest import FakeClock, Sim, SimFactory

V21 = "/external/company/v2.1"
SECRET = "hook-secret-for-tests"


def _attachment_url(sim: Sim, code: str) -> str:
    detail = sim.client.get(f"{V21}/submissions/{code}").json()
    url: str = detail["report"]["attachments"][0]["url"]
    return url


def test_attachment_link_serves_bytes_without_a_token(
    make_sim: SimFactory, clock: FakeClock
) -> None:
    sim = make_sim(clock=clock, attachment_size_bytes=1000)
    code = sim.client.post("/_sim/submissions", json={"attachments": 2}).json()["code"]
    url = _attachment_url(sim, code)

    response = sim.api(token="").get(url)

    assert response.status_code == 200
    assert len(response.content) == 1000


def test_attachment_link_expires_and_detail_mints_a_fresh_one(
    make_sim: SimFactory, clock: FakeClock
) -> None:
    sim = make_sim(clock=clock, attachment_ttl_seconds=1)
    code = sim.client.post("/_sim/submissions", json={"attachments": 1}).json()["code"]
    old = _attachment_url(sim, code)

    clock.advance(2)
    expired = sim.client.get(old)
    fresh = sim.client.get(_attachment_url(sim, code))

    assert (expired.status_code, fresh.status_code) == (403, 200)


def test_tampered_signature_is_forbidden(sim: Sim) -> None:
    code = sim.client.post("/_sim/submissions", json={"attachments": 1}).json()["code"]
    url = _attachment_url(sim, code)

    response = sim.client.get(url[:-4] + "0000")

    assert response.status_code == 403


class Receiver:
    """A webhook receiver that checks the digest the way Intigriti's samples do."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, dict[str, object], bool]] = []
        self.arrived = threading.Event()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        mac = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
        valid = hmac.compare_digest(
            base64.b64encode(mac).decode(), request.headers["x-intigriti-digest"]
        )
        event = request.headers["x-intigriti-event"]
        self.deliveries.append((event, json.loads(body), valid))
        self.arrived.set()
        return Response(status_code=204 if valid else 401)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    app = Starlette(routes=[Route("/", hook.handle, methods=["POST"])])
    with ServerThread(app) as server:
        yield hook, server.url + "/"


def test_status_change_is_delivered_with_a_valid_digest(
    make_sim: SimFactory, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    sim = make_sim(webhook_url=url, webhook_secret=SECRET)
    code = sim.client.post("/_sim/submissions", json={}).json()["code"]

    sim.client.put(f"{V21}/submissions/{code}/state", json={"statusTrigger": 1})
    sim.client.post(
        f"{V21}/submissions/{code}/comments/internal", json={"message": "m"}
    )
    sim.store.close()

    events = [(name, valid) for name, _, valid in hook.deliveries]
    assert events == [
        ("SubmissionCreated", True),
        ("SubmissionStatusChanged", True),
        ("SubmissionMessagePlaced", True),
    ]
    status_change = hook.deliveries[1][1]
    assert status_change["submissionCode"] == code
    assert status_change["fromStatus"] == {"id": 2, "value": "Triage"}
    assert status_change["toStatus"] == {"id": 4, "value": "Accepted"}
    assert status_change["closeReason"] is None
    assert hook.deliveries[2][1]["isInternal"] is True
