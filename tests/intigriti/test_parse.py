"""Parsing the v2.1, v2.0 and v1.2 shapes of API.md section 9."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd.intigriti.enums import EnumTables, SubmissionStatus
from syncd.intigriti.errors import MalformedResponseError
from syncd.intigriti.models import (
    Attachment,
    Enumerated,
    InternalReference,
    Money,
    Program,
    Question,
    SeverityRating,
    SubmissionSummary,
)
from syncd.intigriti.parse import (
    parse_event,
    parse_program,
    parse_submission,
    parse_summary,
)

Sample = Callable[[str], Any]
PROGRAM_ID = "3f0c9a5e-1b2d-4c6e-9f10-a1b2c3d4e5f6"
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:H/A:N"
DETAILS_URL = (
    "https://app.intigriti.com/company/submissions/"
    "3f0c9a5e-1b2d-4c6e-9f10-a1b2c3d4e5f6/NORTHWIND-7QK2XW9D"
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def unknown_logs(
    logs: list[MutableMapping[str, Any]],
) -> list[MutableMapping[str, Any]]:
    return [
        entry
        for entry in logs
        if entry["event"] in ("intigriti.unknown_field", "intigriti.unknown_enum")
    ]


@pytest.mark.parametrize("version", ["v2.1", "v2.0"])
def test_accepted_v2_submission_reads_every_modelled_field(
    sample: Sample, version: Any
) -> None:
    with capture_logs() as logs:
        submission = parse_submission(sample("v21_submission_accepted"), version)

    assert submission.code == "NORTHWIND-7QK2XW9D"
    assert submission.program_id == PROGRAM_ID
    assert None is submission.program_handle
    assert submission.title == "Stored XSS in order notes rendered to support agents"
    assert submission.original_title == "XSS in order notes"
    assert Enumerated(id=4, value="Accepted") == submission.status
    assert None is submission.close_reason
    assert None is submission.duplicate_of
    assert (
        SeverityRating(id=4, value="High", vector=VECTOR, score=7.6)
        == submission.severity
    )
    assert submission.vulnerability_type == "Cross-Site Scripting (Stored)"
    assert submission.vulnerability_category == "Injection"
    assert submission.cwe == "cwe-79"
    assert submission.asset == "support.northwind.example"
    assert submission.endpoint == "/api/orders/{id}/notes"
    assert submission.poc_description == "<p>Add a note with a payload…</p>"
    assert submission.impact == "<p>Session riding on agent accounts.</p>"
    assert submission.recommended_solution == "<p>Encode output.</p>"
    assert (
        Question(question="Which browser did you use?", answer="<p>Firefox 128</p>"),
    ) == submission.questions
    assert submission.tags == ("xss", "support-portal")
    assert (
        Attachment(
            code=91234,
            url="https://files.example-cdn.net/att/91234?sig=abc&exp=1735129200",
        ),
    ) == submission.attachments
    assert submission.submitter == "quietlark"
    assert submission.assignee == "m.okafor"
    assert utc(2024, 12, 18, 8, 59, 5) == submission.created_at
    assert utc(2024, 12, 21, 12, 1, 0) == submission.last_updated_at
    assert submission.web_url == DETAILS_URL
    assert (
        InternalReference(reference="SEC-4121", url="https://jira.nw.example/SEC-4121")
        == submission.internal_reference
    )
    assert Money(value=1750.0, currency="EUR") == submission.total_payout
    assert submission.status_name(EnumTables()) == SubmissionStatus.ACCEPTED
    assert unknown_logs(logs) == []


def test_v2_submission_keeps_unmodelled_keys_raw_under_dotted_paths(
    sample: Sample,
) -> None:
    submission = parse_submission(sample("v21_submission_accepted"), "v2.1")

    assert sorted(submission.extra) == [
        "aiSummary",
        "attachmentCount",
        "awaitingFeedback",
        "customFields",
        "destroyed",
        "groupId",
        "integrationCount",
        "lastUpdated.lastUpdater",
        "originators.pentestCode",
        "report.domain",
        "report.ip",
        "report.personalData",
        "reward.possibleBounty",
        "reward.totalBonusPayout",
        "reward.totalBountyPayout",
        "reward.totalRetestBountyPayout",
        "state.acceptedAt",
        "state.archivedAt",
        "state.closedAt",
        "state.duplicateInfo",
        "state.validatedAt",
    ]
    assert False is submission.extra["awaitingFeedback"]
    assert submission.extra["state.validatedAt"] == 1734600000
    assert submission.extra["state.duplicateInfo"] == {
        "parentSubmissionCode": None,
        "childSubmissionCodes": ["NORTHWIND-P4M8ZC1R"],
    }


def test_duplicate_v2_submission_names_its_parent(sample: Sample) -> None:
    submission = parse_submission(sample("v21_submission_duplicate"), "v2.1")

    assert Enumerated(id=5, value="Closed") == submission.status
    assert Enumerated(id=2, value="Duplicate") == submission.close_reason
    assert submission.duplicate_of == "NORTHWIND-7QK2XW9D"
    assert None is submission.assignee
    assert None is submission.internal_reference
    assert None is submission.recommended_solution
    assert submission.questions == ()
    assert Money(value=0.0, currency="EUR") == submission.total_payout
    assert utc(2024, 12, 20, 10, 20, 0) == submission.last_updated_at


def test_pending_v2_submission_without_payout_has_no_total(sample: Sample) -> None:
    submission = parse_submission(sample("v21_submission_pending"), "v2.1")

    assert Enumerated(id=3, value="Pending") == submission.status
    assert None is submission.total_payout
    assert submission.asset == "*.api.northwind.example"
    assert SeverityRating(
        id=2,
        value="Low",
        vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N",
        score=5.3,
    ) == (submission.severity)
    assert None is submission.extra["state.duplicateInfo"]
    assert submission.extra["groupId"] == "44b3a2c1-d0e9-4f87-a6b5-c4d3e2f1a0b9"


def test_unknown_field_is_kept_and_logged_once_by_name_only(sample: Sample) -> None:
    data = sample("v21_submission_accepted")
    data["riskScore"] = {"secret": "do-not-log"}
    data["report"]["exploitChain"] = "do-not-log"

    with capture_logs() as logs:
        first = parse_submission(data, "v2.1")
        parse_submission(data, "v2.1")
        parse_submission(data, "v2.0")

    assert first.extra["riskScore"] == {"secret": "do-not-log"}
    assert first.extra["report.exploitChain"] == "do-not-log"
    assert [(entry["key"], entry["version"]) for entry in unknown_logs(logs)] == [
        ("riskScore", "v2.1"),
        ("report.exploitChain", "v2.1"),
        ("riskScore", "v2.0"),
        ("report.exploitChain", "v2.0"),
    ]
    assert "do-not-log" not in repr(logs)


def test_unknown_status_and_severity_ids_stay_raw_and_are_logged_once(
    sample: Sample,
) -> None:
    data = sample("v21_submission_accepted")
    data["state"]["status"] = {"id": 42, "value": "Frozen"}
    data["severity"]["id"] = 17

    with capture_logs() as logs:
        submission = parse_submission(data, "v2.1")
        parse_submission(data, "v2.1")

    assert Enumerated(id=42, value="Frozen") == submission.status
    assert None is submission.status_name(EnumTables())
    assert None is submission.severity_name(EnumTables())
    assert [
        {key: entry[key] for key in ("event", "kind", "id")}
        for entry in unknown_logs(logs)
    ] == [
        {"event": "intigriti.unknown_enum", "kind": "status", "id": 42},
        {"event": "intigriti.unknown_enum", "kind": "severity", "id": 17},
    ]


def test_configured_tables_decide_which_ids_are_known(sample: Sample) -> None:
    data = sample("v21_submission_accepted")
    data["state"]["status"] = {"id": 42, "value": "Accepted"}
    tables = EnumTables(status={42: SubmissionStatus.ACCEPTED})

    with capture_logs() as logs:
        submission = parse_submission(data, "v2.1", tables)

    assert submission.status_name(tables) == SubmissionStatus.ACCEPTED
    assert [e for e in unknown_logs(logs) if e.get("kind") == "status"] == []


def test_empty_close_reason_pair_reads_as_none(sample: Sample) -> None:
    data = sample("v21_submission_pending")
    data["state"]["closeReason"] = {"id": 0, "value": ""}

    assert None is parse_submission(data, "v2.1").close_reason


def test_missing_code_raises_malformed_response() -> None:
    with pytest.raises(MalformedResponseError) as caught:
        parse_submission({"title": "Stored XSS"}, "v2.1")

    assert caught.value.key == "code"
    assert None is caught.value.submission
    assert "Stored XSS" not in str(caught.value)


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["state"].update(status="Accepted"), "state.status"),
        (lambda d: d.update(createdAt="yesterday"), "createdAt"),
        (lambda d: d.pop("createdAt"), "createdAt"),
        (lambda d: d.update(state=None), "state"),
        (lambda d: d["report"].update(impact=["<p>x</p>"]), "report.impact"),
        (lambda d: d.update(tags="xss"), "tags"),
        (lambda d: d["state"]["status"].pop("id"), "state.status.id"),
    ],
)
def test_wrongly_typed_data_names_code_and_key_but_no_content(
    sample: Sample, mutate: Callable[[dict[str, Any]], object], key: str
) -> None:
    data = sample("v21_submission_accepted")
    mutate(data)

    with pytest.raises(MalformedResponseError) as caught:
        parse_submission(data, "v2.1")

    assert key == caught.value.key
    assert caught.value.submission == "NORTHWIND-7QK2XW9D"
    assert f"'{key}'" in str(caught.value)
    assert "NORTHWIND-7QK2XW9D" in str(caught.value)
    assert "XSS" not in str(caught.value)


def test_v2_list_item_becomes_a_summary(
    sample: Sample, overview_of: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    item = overview_of(sample("v21_submission_duplicate"))

    with capture_logs() as logs:
        summary = parse_summary(item, "v2.1")

    assert (
        SubmissionSummary(
            code="NORTHWIND-P4M8ZC1R",
            program_id=PROGRAM_ID,
            last_updated_at=utc(2024, 12, 20, 10, 20, 0),
        )
        == summary
    )
    assert unknown_logs(logs) == []


def test_summary_without_last_update_falls_back_to_creation(
    sample: Sample, overview_of: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    item = overview_of(sample("v21_submission_pending"))
    item["lastUpdatedAt"] = None

    assert utc(2024, 12, 22, 15, 6, 40) == parse_summary(item, "v2.1").last_updated_at


def test_v12_item_maps_flat_shape_onto_the_same_submission(sample: Sample) -> None:
    with capture_logs() as logs:
        submission = parse_submission(sample("v12_submission_item"), "v1.2")

    assert submission.code == "NORTHWIND-7QK2XW9D"
    assert None is submission.program_id
    assert submission.program_handle == "northwindbbp"
    assert submission.program_name == "Northwind Public BBP"
    assert submission.original_title == "XSS in order notes"
    assert Enumerated(id=4, value="Accepted") == submission.status
    assert SeverityRating(id=4, value="High", vector=VECTOR) == submission.severity
    assert submission.asset == "support.northwind.example"
    assert submission.cwe == "cwe-79"
    assert submission.submitter == "quietlark"
    assert submission.assignee == "m.okafor"
    assert utc(2024, 12, 18, 8, 59, 5) == submission.created_at
    assert utc(2024, 12, 21, 12, 1, 0) == submission.last_updated_at
    assert submission.web_url == DETAILS_URL
    assert (
        submission.internal_reference or InternalReference()
    ).reference == "SEC-4121"
    # v1.2 gives a bare number with no currency, so it stays raw.
    assert None is submission.total_payout
    assert submission.extra["totalPayout"] == 1750.0
    assert unknown_logs(logs) == []


def test_v12_duplicate_reads_parent_code_from_its_url(sample: Sample) -> None:
    data = sample("v12_submission_item")
    data["state"] = {
        "status": {"id": 5, "value": "Closed"},
        "closeReason": {"id": 2, "value": "Duplicate"},
        "duplicateSubmissionUrl": "https://app.intigriti.com/company/submissions/"
        "3f0c9a5e-1b2d-4c6e-9f10-a1b2c3d4e5f6/NORTHWIND-7QK2XW9D",
    }

    submission = parse_submission(data, "v1.2")

    assert Enumerated(id=2, value="Duplicate") == submission.close_reason
    assert submission.duplicate_of == "NORTHWIND-7QK2XW9D"


def test_v12_item_becomes_a_summary_and_its_program(sample: Sample) -> None:
    data = sample("v12_submission_item")

    summary = parse_summary(data, "v1.2")
    program = parse_program(data["program"], "v1.2")

    assert (
        SubmissionSummary(
            code="NORTHWIND-7QK2XW9D",
            program_id=None,
            last_updated_at=utc(2024, 12, 21, 12, 1, 0),
        )
        == summary
    )
    assert (
        Program(id="northwindbbp", handle="northwindbbp", name="Northwind Public BBP")
        == program
    )


def test_five_sample_events_parse_with_their_extra_keys(sample: Sample) -> None:
    with capture_logs() as logs:
        events = [
            parse_event(item, "v2.1", "NORTHWIND-7QK2XW9D")
            for item in sample("v21_events")
        ]

    assert [
        ("StatusChanged", utc(2024, 12, 19, 9, 20, 0), "Everyone", "triage.lena"),
        ("MessagePlaced", utc(2024, 12, 19, 9, 25, 0), "Internal", "triage.lena"),
        ("AssigneeChanged", utc(2024, 12, 20, 13, 6, 40), "Internal", "m.okafor"),
        ("StatusChanged", utc(2024, 12, 21, 12, 0, 0), "Everyone", "m.okafor"),
        ("PayoutAdded", utc(2024, 12, 21, 12, 1, 0), "Everyone", "m.okafor"),
    ] == [
        (e.type.value, e.created_at, e.visibility and e.visibility.value, e.user_name)
        for e in events
    ]
    assert events[0].user_id == "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    assert events[0].extra == {
        "from": {"status": {"id": 2, "value": "Triage"}, "closeReason": None},
        "to": {"status": {"id": 3, "value": "Pending"}, "closeReason": None},
    }
    assert sorted(events[1].extra) == [
        "attachments",
        "deletedAt",
        "lastEditedAt",
        "message",
    ]
    assert sorted(events[4].extra) == ["amount", "payoutId", "payoutType"]
    assert unknown_logs(logs) == []


def test_event_without_type_names_the_submission() -> None:
    with pytest.raises(MalformedResponseError) as caught:
        parse_event({"createdAt": 1734600000}, "v2.1", "NORTHWIND-7QK2XW9D")

    assert caught.value.key == "type"
    assert caught.value.submission == "NORTHWIND-7QK2XW9D"


def test_program_overview_and_detail_read_id_from_their_own_key() -> None:
    overview = {
        "id": PROGRAM_ID,
        "handle": "northwindbbp",
        "companyId": "0f1e2d3c-4b5a-4968-8776-655443322110",
        "companyHandle": "northwind",
        "logoUrl": None,
        "name": "Northwind Public BBP",
        "status": {"id": 3, "value": "Open"},
        "confidentialityLevel": {"id": 4, "value": "Public"},
        "webLinks": {"details": "https://app.intigriti.com/programs/northwind"},
        "type": {"id": 1, "value": "BugBounty"},
    }
    detail = {"programId": PROGRAM_ID, "handle": "northwindbbp", "name": "Northwind"}

    with capture_logs() as logs:
        from_overview = parse_program(overview, "v2.1")
        from_detail = parse_program(detail, "v2.1")

    expected = Program(id=PROGRAM_ID, handle="northwindbbp", name="Northwind")
    assert expected.model_copy(update={"name": "Northwind Public BBP"}) == (
        from_overview
    )
    assert expected == from_detail
    assert unknown_logs(logs) == []
