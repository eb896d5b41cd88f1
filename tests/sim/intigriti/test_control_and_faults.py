"""The `/_sim/` control API and injected faults."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from syncd.sim.intigriti import FaultSettings

from .conftest import Sim

V21 = "/external/company/v2.1"


def test_created_submission_uses_given_fields_and_fills_the_rest(sim: Sim) -> None:
    response = sim.client.post(
        "/_sim/submissions",
        json={"title": "Köln XSS", "severity": "high", "tags": ["xss"]},
    )
    code = response.json()["code"]

    detail = sim.client.get(f"{V21}/submissions/{code}").json()
    assert response.status_code == 201
    assert (detail["title"], detail["severity"]["value"]) == ("Köln XSS", "High")
    assert detail["tags"] == ["xss"]
    assert detail["report"]["pocDescription"].startswith("<p>")


def test_unknown_create_field_is_rejected(sim: Sim) -> None:
    response = sim.client.post("/_sim/submissions", json={"colour": "red"})

    assert response.status_code == 400


def test_patch_edits_and_records_events(sim: Sim) -> None:
    code = sim.client.post("/_sim/submissions", json={}).json()["code"]

    sim.client.patch(
        f"/_sim/submissions/{code}",
        json={"title": "New title", "impact": "<p>worse</p>", "tags": ["api"]},
    )

    detail = sim.client.get(f"{V21}/submissions/{code}").json()
    kinds = [
        e["type"]["value"]
        for e in sim.client.get(f"{V21}/submissions/{code}/events").json()
    ]
    assert (detail["title"], detail["report"]["impact"]) == (
        "New title",
        "<p>worse</p>",
    )
    assert kinds == ["TitleChanged", "TagAdded", "ReportChanged"]


def test_researcher_message_is_a_public_event(sim: Sim) -> None:
    code = sim.client.post(
        "/_sim/submissions", json={"researcher": "quietlark"}
    ).json()["code"]

    sim.client.post(f"/_sim/submissions/{code}/messages", json={"message": "<p>hi</p>"})

    event = sim.client.get(f"{V21}/submissions/{code}/events").json()[-1]
    assert event["user"]["userName"] == "quietlark"
    assert (event["visibility"]["value"], event["message"]) == ("Everyone", "<p>hi</p>")


def test_triager_state_change_accepts_key_and_close_reason(sim: Sim) -> None:
    code = sim.client.post("/_sim/submissions", json={}).json()["code"]

    response = sim.client.post(
        f"/_sim/submissions/{code}/state",
        json={"trigger": "close", "close_reason": "spam"},
    )

    assert response.json() == {"status": "closed"}


def test_request_log_and_counters_record_api_calls_only(sim: Sim) -> None:
    code = sim.store.submissions()[0].code
    sim.client.get(f"{V21}/submissions", params={"UpdatedSince": 5})
    sim.client.get(f"{V21}/submissions/{code}")
    sim.client.get("/_sim/counters")

    log = sim.client.get("/_sim/requests").json()
    counters = sim.client.get("/_sim/counters").json()

    assert [(e["method"], e["path"], e["query"], e["status"]) for e in log] == [
        ("GET", f"{V21}/submissions", "UpdatedSince=5", 200),
        ("GET", f"{V21}/submissions/{code}", "", 200),
    ]
    assert counters["requests"] == {
        f"GET {V21}/submissions": 1,
        f"GET {V21}/submissions/{{code}}": 1,
    }
    assert sim.client.delete("/_sim/requests").status_code == 204
    assert sim.client.get("/_sim/requests").json() == []


def test_latency_delays_api_calls(sim: Sim) -> None:
    sim.client.put("/_sim/faults", json={"latency_ms": 200})

    started = time.monotonic()
    sim.client.get(f"{V21}/programs")

    assert time.monotonic() - started >= 0.2


def test_error_rate_one_gives_5xx_error_models(sim: Sim) -> None:
    sim.client.put("/_sim/faults", json={"error_rate": 1.0})

    response = sim.client.get(f"{V21}/submissions")

    assert response.status_code == 503
    assert response.json()["status"] == 503


def test_throttle_sends_429_with_retry_after_seconds(sim: Sim) -> None:
    sim.client.put("/_sim/faults", json={"throttle_rate": 1.0, "retry_after": 7})

    response = sim.client.get(f"{V21}/submissions")

    assert (response.status_code, response.headers["retry-after"]) == (429, "7")


def test_throttle_can_be_403_with_an_http_date(sim: Sim) -> None:
    sim.client.put(
        "/_sim/faults",
        json={
            "throttle_rate": 1.0,
            "throttle_status": 403,
            "retry_after": 30,
            "retry_after_form": "http-date",
        },
    )

    response = sim.client.get(f"{V21}/programs")

    retry_at = parsedate_to_datetime(response.headers["retry-after"]).timestamp()
    assert response.status_code == 403
    assert 25 <= retry_at - time.time() <= 31


def test_dropped_connection_breaks_the_response(sim: Sim) -> None:
    sim.client.put("/_sim/faults", json={"drop_rate": 1.0})

    with pytest.raises(httpx.RemoteProtocolError):
        sim.client.get(f"{V21}/submissions")

    assert sim.client.get("/_sim/requests").json()[-1]["status"] == 0


def test_faults_honour_the_path_filter_and_spare_sim_paths(sim: Sim) -> None:
    sim.client.put("/_sim/faults", json={"error_rate": 1.0, "path": "/events$"})
    code = sim.store.submissions()[0].code

    events = sim.client.get(f"{V21}/submissions/{code}/events")
    detail = sim.client.get(f"{V21}/submissions/{code}")
    control = sim.client.get("/_sim/counters")

    assert (events.status_code, detail.status_code, control.status_code) == (
        503,
        200,
        200,
    )


def test_faults_are_reproducible_with_the_same_seed(sim: Sim) -> None:
    def run() -> list[int]:
        sim.store.set_faults(FaultSettings(error_rate=0.5, seed=42))
        return [sim.client.get(f"{V21}/programs").status_code for _ in range(12)]

    first, second = run(), run()
    sim.client.delete("/_sim/faults")

    assert first == second
    assert set(first) == {200, 503}
    assert sim.client.get(f"{V21}/programs").status_code == 200
