"""The state machine, company writes, events and time filters over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import FakeClock, Sim, SimFactory

V21 = "/external/company/v2.1"


def _new(sim: Sim, **fields: Any) -> str:
    response = sim.client.post("/_sim/submissions", json=fields)
    assert response.status_code == 201
    code: str = response.json()["code"]
    return code


def _state(sim: Sim, code: str, **body: Any) -> httpx.Response:
    return sim.client.put(f"{V21}/submissions/{code}/state", json=body)


def _status(sim: Sim, code: str) -> str:
    detail = sim.client.get(f"{V21}/submissions/{code}").json()
    value: str = detail["state"]["status"]["value"]
    return value


@pytest.fixture
def timed(make_sim: SimFactory, clock: FakeClock) -> Sim:
    return make_sim(clock=clock)


def test_accept_from_triage_answers_the_next_triggers(sim: Sim) -> None:
    code = _new(sim)

    response = _state(sim, code, statusTrigger=1)

    assert response.status_code == 200
    assert response.json() == {"statusTriggers": [2]}
    assert _status(sim, code) == "Accepted"


def test_reopen_moves_triage_to_pending_and_validates(sim: Sim) -> None:
    code = _new(sim)

    _state(sim, code, statusTrigger=3)

    detail = sim.client.get(f"{V21}/submissions/{code}").json()
    assert detail["state"]["status"] == {"id": 3, "value": "Pending"}
    assert detail["state"]["validatedAt"] == detail["lastUpdated"]["lastUpdatedAt"]


def test_close_then_reopen_clears_the_close_reason(sim: Sim) -> None:
    code = _new(sim)
    _state(sim, code, statusTrigger=2, closeReason=4)

    _state(sim, code, statusTrigger=3)

    state = sim.client.get(f"{V21}/submissions/{code}").json()["state"]
    assert (state["status"]["value"], state["closeReason"]) == ("Pending", None)
    assert state["closedAt"] is None


def test_archive_from_pending_is_a_conflict(sim: Sim) -> None:
    code = _new(sim)

    response = _state(sim, code, statusTrigger=4)

    body = response.json()
    assert response.status_code == 409
    assert (body["status"], body["code"]) == (409, "STATE_CONFLICT")


def test_closing_without_reason_is_rejected(sim: Sim) -> None:
    code = _new(sim)

    response = _state(sim, code, statusTrigger=2)

    assert response.status_code == 400
    assert response.json()["extraParameters"] == {"closeReason": ["empty"]}


def test_duplicate_needs_an_existing_other_submission(sim: Sim) -> None:
    code = _new(sim)

    missing = _state(sim, code, statusTrigger=2, closeReason=2)
    unknown = _state(
        sim, code, statusTrigger=2, closeReason=2, duplicateSubmission="X-1"
    )
    itself = _state(sim, code, statusTrigger=2, closeReason=2, duplicateSubmission=code)

    assert [missing.status_code, unknown.status_code, itself.status_code] == [400] * 3
    assert _status(sim, code) == "Triage"


def test_duplicate_links_child_and_parent(sim: Sim) -> None:
    parent, child = _new(sim), _new(sim)

    _state(sim, child, statusTrigger=2, closeReason=2, duplicateSubmission=parent)

    child_state = sim.client.get(f"{V21}/submissions/{child}").json()["state"]
    parent_state = sim.client.get(f"{V21}/submissions/{parent}").json()["state"]
    assert child_state["duplicateInfo"] == {
        "parentSubmissionCode": parent,
        "childSubmissionCodes": [],
    }
    assert parent_state["duplicateInfo"] == {
        "parentSubmissionCode": None,
        "childSubmissionCodes": [child],
    }


def test_archived_submission_is_locked(sim: Sim) -> None:
    code = _new(sim)
    _state(sim, code, statusTrigger=2, closeReason=1)
    _state(sim, code, statusTrigger=4)

    calls = [
        _state(sim, code, statusTrigger=3),
        sim.client.put(f"{V21}/submissions/{code}/severity", json={"id": 2}),
        sim.client.post(f"{V21}/submissions/{code}/tags", json={"tag": "late"}),
        sim.client.post(
            f"{V21}/submissions/{code}/comments/external", json={"message": "x"}
        ),
    ]

    assert [call.status_code for call in calls] == [409] * 4
    assert _status(sim, code) == "Archived"


def test_draft_is_invisible_until_submitted(sim: Sim) -> None:
    code = _new(sim, status="draft")
    hidden = sim.client.get(f"{V21}/submissions/{code}").status_code
    listed = [s["code"] for s in sim.client.get(f"{V21}/submissions").json()]

    sim.client.post(f"/_sim/submissions/{code}/state", json={"trigger": "submit"})

    assert (hidden, code in listed) == (404, False)
    assert _status(sim, code) == "Triage"


def test_unknown_trigger_and_unknown_field_are_bad_requests(sim: Sim) -> None:
    code = _new(sim)

    unknown_trigger = _state(sim, code, statusTrigger=99)
    unknown_field = _state(sim, code, statusTrigger=1, comment="hi")
    wrong_type = _state(sim, code, statusTrigger="1")

    assert [unknown_trigger.status_code, unknown_field.status_code] == [400, 400]
    assert wrong_type.status_code == 400
    assert "comment" in unknown_field.json()["extraParameters"]


def test_malformed_json_is_400_and_form_body_is_415(sim: Sim) -> None:
    code = _new(sim)
    url = f"{V21}/submissions/{code}/tags"

    broken = sim.client.post(
        url, content=b"{", headers={"content-type": "application/json"}
    )
    form = sim.client.post(url, data={"tag": "x"})

    assert (broken.status_code, broken.json()["code"]) == (400, "VALIDATION_FAILED")
    assert (form.status_code, form.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_unknown_code_and_program_are_404_error_models(sim: Sim) -> None:
    submission = sim.client.get(f"{V21}/submissions/KESTRELWORKS-NOPE0000")
    program = sim.client.get(f"{V21}/programs/00000000-0000-4000-8000-000000000000")

    assert (submission.status_code, program.status_code) == (404, 404)
    assert set(submission.json()) == {
        "identifier",
        "title",
        "status",
        "code",
        "extraParameters",
    }


def test_each_write_appends_its_event_and_bumps_last_updated(
    timed: Sim, clock: FakeClock
) -> None:
    code = _new(timed)
    base = f"{V21}/submissions/{code}"
    writes = [
        ("put", "/state", {"statusTrigger": 3}),
        (
            "put",
            "/severity",
            {"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
        ),
        ("post", "/comments/internal", {"message": "<p>seen</p>"}),
        ("post", "/comments/external", {"message": "<p>thanks</p>"}),
        ("post", "/tags", {"tag": "xss"}),
        (
            "put",
            "/internal-reference",
            {"reference": "SEC-1", "url": "https://j.example/SEC-1"},
        ),
    ]

    stamps = []
    for method, path, body in writes:
        clock.advance(10)
        timed.client.request(method.upper(), base + path, json=body)
        stamps.append(timed.client.get(base).json()["lastUpdated"]["lastUpdatedAt"])
    timed.client.delete(f"{base}/tags/xss")

    events = timed.client.get(f"{base}/events").json()
    assert stamps == [int(clock.now) - 50 + 10 * i for i in range(6)]
    assert [e["type"]["value"] for e in events] == [
        "StatusChanged",
        "SeverityChanged",
        "MessagePlaced",
        "MessagePlaced",
        "TagAdded",
        "InternalReferenceChanged",
        "TagRemoved",
    ]
    assert [e["visibility"]["value"] for e in events[2:4]] == ["Internal", "Everyone"]
    assert events[1]["to"] == {
        "id": 5,
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "value": "Critical",
        "score": 9.8,
    }


def test_comment_answers_201_with_message_id(sim: Sim) -> None:
    code = _new(sim)

    response = sim.client.post(
        f"{V21}/submissions/{code}/comments/internal", json={"message": "hi"}
    )

    assert response.status_code == 201
    assert list(response.json()) == ["messageId"]


def test_invalid_vector_and_unknown_severity_id_are_rejected(sim: Sim) -> None:
    code = _new(sim)
    url = f"{V21}/submissions/{code}/severity"

    assert sim.client.put(url, json={"vector": "CVSS:3.1/AV:N"}).status_code == 400
    assert sim.client.put(url, json={"id": 42}).status_code == 400
    assert sim.client.put(url, json={}).status_code == 400


def test_updated_since_filters_by_last_updated_at(timed: Sim, clock: FakeClock) -> None:
    old = _new(timed)
    clock.advance(100)
    new = _new(timed)
    since = int(clock.now)

    company_wide = timed.client.get(
        f"{V21}/submissions", params={"UpdatedSince": since}
    )
    program = timed.store.submission(new).program_id
    per_program = timed.client.get(
        f"{V21}/programs/{program}/submissions", params={"UpdatedSince": since}
    )

    assert [s["code"] for s in company_wide.json()] == [new]
    assert [s["code"] for s in per_program.json()] == [new]
    assert old not in [s["code"] for s in company_wide.json()]


def test_updated_since_must_be_unix_seconds(sim: Sim) -> None:
    response = sim.client.get(
        f"{V21}/submissions", params={"UpdatedSince": "yesterday"}
    )

    assert response.status_code == 400


def test_created_since_filters_events(timed: Sim, clock: FakeClock) -> None:
    code = _new(timed)
    _state(timed, code, statusTrigger=3)
    clock.advance(60)
    timed.client.post(f"{V21}/submissions/{code}/tags", json={"tag": "api"})

    events = timed.client.get(
        f"{V21}/submissions/{code}/events", params={"CreatedSince": int(clock.now)}
    ).json()

    assert [e["type"]["value"] for e in events] == ["TagAdded"]


def test_enum_ids_come_from_the_configured_table(make_sim: SimFactory) -> None:
    tables = {
        "status_trigger": {
            "accept": {"id": 11, "value": "Accept"},
            "close": {"id": 12, "value": "Close"},
            "reopen": {"id": 13, "value": "Reopen"},
            "archive": {"id": 14, "value": "Archive"},
        },
        "close_reason": {
            "resolved": {"id": 1, "value": "Resolved"},
            "duplicate": {"id": 2, "value": "Duplicate"},
            "solved": {"id": 77, "value": "Solved"},
        },
    }
    sim = make_sim(enums=tables)
    code = _new(sim)

    default_id = _state(sim, code, statusTrigger=2, closeReason=1)
    closed = _state(sim, code, statusTrigger=12, closeReason=77)

    state = sim.client.get(f"{V21}/submissions/{code}").json()["state"]
    assert default_id.status_code == 400
    assert closed.json() == {"statusTriggers": [13, 14]}
    assert state["closeReason"] == {"id": 77, "value": "Solved"}
