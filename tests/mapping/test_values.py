"""Value maps, field objects and ownership in build_draft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from syncd.errors import ConfigError, MappingError
from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import SeverityRating
from syncd.jira.models import Flavour
from syncd.mapping.build import build_draft
from syncd.mapping.loader import load_mapping

from .conftest import MakeSubmission, WriteMapping

TABLES = EnumTables()
HEAD = """\
version: 1
defaults:
  project: SEC
  issue_type: Bug
  summary: "{{ title }}"
  description:
    - field: impact
"""
FIELDS = (
    HEAD
    + """\
  fields:
    Score: {number: "{{ severity_score }}"}
    Day: {date: "{{ created_date }}"}
    Empty: "{{ endpoint }}"
    Nothing: {number: "{{ duplicate_of }}"}
    Sev:
      map:
        from: "{{ severity }}"
        values: {HIGH: S1}
    Unmapped:
      map: {from: "{{ severity }}", values: {low: S4}}
    Raw: {literal: {"id": "10"}, owner: jira}
    Owner: {user: "{{ assignee }}", owner: jira}
identity:
  Triage.Lena: {cloud: acc-123, datacenter: lena}
  m.okafor: okafor
"""
)


def test_cvss_range_wins_over_severity_and_severity_is_the_fallback(
    make_submission: MakeSubmission, write_mapping: WriteMapping
) -> None:
    mapping = load_mapping(
        write_mapping(
            HEAD
            + "  priority: {high: Medium}\n"
            + "  priority_by_score:\n"
            + "    - {min: 9.0, priority: Highest}\n"
            + "    - {min: 7.0, max: 8.9, priority: High}\n"
        )
    )

    def priority(score: float | None) -> str | None:
        rating = SeverityRating(id=4, score=score)
        submission = make_submission(severity=rating)
        return build_draft(submission, mapping, Flavour.CLOUD, TABLES).priority

    assert [priority(9.8), priority(7.6), priority(8.95), priority(None)] == [
        "Highest",
        "High",
        "Medium",
        "Medium",
    ]


def test_a_score_range_must_be_ordered(write_mapping: WriteMapping) -> None:
    path = write_mapping(
        HEAD + "  priority_by_score:\n    - {min: 9, max: 4, priority: X}\n"
    )

    with pytest.raises(ConfigError) as caught:
        load_mapping(path)

    assert (
        f"{path}:9:7: defaults.priority_by_score[0]: min 9.0 is above max 4.0"
        in str(caught.value)
    )


def test_due_date_counts_sla_days_from_the_utc_creation_day(
    make_submission: MakeSubmission, write_mapping: WriteMapping
) -> None:
    mapping = load_mapping(
        write_mapping(HEAD + "  due_date:\n    days: {high: 30, low: 180}\n")
    )
    late_evening = datetime(2024, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5)))

    draft = build_draft(
        make_submission(created_at=late_evening), mapping, Flavour.CLOUD, TABLES
    )
    medium = build_draft(
        make_submission(severity=SeverityRating(id=3)), mapping, Flavour.CLOUD, TABLES
    )

    assert draft.custom_fields == {"Due date": "2025-01-31"}
    assert "Due date" not in medium.custom_fields


def test_tags_map_to_labels_and_the_rest_pass_through_when_asked(
    make_submission: MakeSubmission, write_mapping: WriteMapping
) -> None:
    tags = HEAD + "  tag_labels:\n    XSS: [web, injection]\n    noise: []\n"
    submission = make_submission(tags=("xss", "Noise", "support portal"))

    kept = build_draft(
        submission, load_mapping(write_mapping(tags)), Flavour.CLOUD, TABLES
    )
    only_mapped = build_draft(
        submission,
        load_mapping(write_mapping(tags + "  include_tags: false\n")),
        Flavour.CLOUD,
        TABLES,
    )

    assert kept.labels == (
        "intigriti-northwind-7qk2xw9d",
        "web",
        "injection",
        "support-portal",
    )
    assert only_mapped.labels == ("intigriti-northwind-7qk2xw9d", "web", "injection")


def test_a_mapped_label_with_spaces_is_refused(write_mapping: WriteMapping) -> None:
    path = write_mapping(HEAD + "  tag_labels:\n    xss: [cross site]\n")

    with pytest.raises(ConfigError) as caught:
        load_mapping(path)

    assert f"{path}:9:11: defaults.tag_labels.xss[0]: String should match" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("flavour", "assignee", "account"),
    [
        (Flavour.CLOUD, "triage.lena", "acc-123"),
        (Flavour.DATA_CENTER, "TRIAGE.LENA", "lena"),
        (Flavour.CLOUD, "m.okafor", "okafor"),
        (Flavour.DATA_CENTER, "m.okafor", "okafor"),
        (Flavour.CLOUD, "stranger", None),
        (Flavour.CLOUD, None, None),
    ],
)
def test_identity_maps_users_per_flavour_and_unknown_users_are_left_out(
    make_submission: MakeSubmission,
    write_mapping: WriteMapping,
    flavour: Flavour,
    assignee: str | None,
    account: str | None,
) -> None:
    mapping = load_mapping(write_mapping(FIELDS))

    draft = build_draft(make_submission(assignee=assignee), mapping, flavour, TABLES)

    assert draft.custom_fields.get("Owner") == account
    assert ("Owner" in draft.custom_fields) is (account is not None)


def test_field_objects_give_typed_values_and_unmappable_ones_are_left_out(
    make_submission: MakeSubmission, write_mapping: WriteMapping
) -> None:
    mapping = load_mapping(write_mapping(FIELDS))

    draft = build_draft(make_submission(endpoint=None), mapping, Flavour.CLOUD, TABLES)

    assert draft.custom_fields == {
        "Score": 7.6,
        "Day": "2024-12-18",
        "Sev": "S1",
        "Raw": {"id": "10"},
    }
    assert None not in draft.custom_fields.values()


def test_ownership_marks_jira_owned_fields_create_only(
    make_submission: MakeSubmission, write_mapping: WriteMapping
) -> None:
    text = FIELDS.replace("version: 1", "version: 1", 1) + ("  # owners\n")
    text = text.replace(
        "  fields:\n", "  owners: {priority: jira, summary: intigriti}\n  fields:\n"
    )
    mapping = load_mapping(write_mapping(text))

    draft = build_draft(make_submission(), mapping, Flavour.CLOUD, TABLES)

    assert draft.create_only == frozenset({"priority", "Raw", "Owner"})


def test_a_field_object_needs_exactly_one_source(write_mapping: WriteMapping) -> None:
    path = write_mapping(
        HEAD + "  fields:\n    Both: {text: a, number: '1'}\n    None: {owner: jira}\n"
    )

    with pytest.raises(ConfigError) as caught:
        load_mapping(path)

    message = str(caught.value)
    assert (
        f"{path}:9:5: defaults.fields.Both: a field object needs exactly one" in message
    )
    assert (
        f"{path}:10:5: defaults.fields.None: a field object needs exactly one"
        in message
    )


def test_a_number_template_that_is_not_a_number_fails_naming_the_field(
    make_submission: MakeSubmission, write_mapping: WriteMapping
) -> None:
    mapping = load_mapping(
        write_mapping(HEAD + "  fields:\n    N: {number: '{{ code }}'}\n")
    )

    with pytest.raises(
        MappingError, match=r"^defaults.fields.N.number: .*not a number"
    ):
        build_draft(make_submission(), mapping, Flavour.CLOUD, TABLES)


def test_created_at_in_utc_is_kept(make_submission: MakeSubmission) -> None:
    assert make_submission().created_at.tzinfo is UTC
