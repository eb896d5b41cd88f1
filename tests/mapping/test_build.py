"""build_draft: rule, summary, labels, priority, fields, description limit."""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from syncd.errors import MappingError
from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import Question, SeverityRating
from syncd.jira.models import Flavour
from syncd.mapping.build import (
    build_draft,
    make_summary,
    sanitise_label,
    submission_label,
)
from syncd.mapping.description import DESCRIPTION_LIMIT, description_length
from syncd.mapping.loader import load_mapping
from syncd.mapping.models import Mapping

from .adf_check import adf_problems
from .conftest import MakeSubmission, WriteMapping

TABLES = EnumTables()
URL = "https://app.intigriti.com/company/submissions/p/NORTHWIND-7QK2XW9D"


def test_default_mapping_builds_the_expected_draft(
    make_submission: MakeSubmission, default_mapping: Mapping
) -> None:
    draft = build_draft(make_submission(), default_mapping, Flavour.DATA_CENTER, TABLES)

    assert (draft.project, draft.issue_type, draft.priority) == ("SEC", "Bug", "High")
    assert draft.summary == (
        "[NORTHWIND-7QK2XW9D] Stored XSS in order notes rendered to support agents"
    )
    assert draft.labels == (
        "intigriti-northwind-7qk2xw9d",
        "intigriti",
        "xss",
        "support-portal",
    )
    assert draft.description == (
        "h2. Submission\n\n"
        "* *Program:* Northwind Traders\n"
        "* *Severity:* High &#40;CVSS 7.6&#41;\n"
        "* *CVSS vector:* CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:H/A:N\n"
        "* *Type:* Cross&#45;Site Scripting &#40;Stored&#41; &#40;CWE&#45;79&#41;\n"
        "* *Asset:* support.northwind.example\n"
        "* *Endpoint:* /api/orders/&#123;id&#125;/notes\n"
        "* *Submitted by:* quietlark on 2024&#45;12&#45;18\n"
        f"* *Report:* [{URL.replace('-', '&#45;')}|{URL}]\n\n"
        "h2. Proof of concept\n\nAdd a note with a payload.\n\n"
        "h2. Impact\n\nSession riding on agent accounts.\n\n"
        "h2. Recommended solution\n\nEncode output."
    )


def test_cloud_draft_is_a_valid_adf_document(
    make_submission: MakeSubmission, default_mapping: Mapping
) -> None:
    submission = make_submission(
        questions=(Question(question="Browser?", answer="<p>Firefox</p>"),)
    )

    draft = build_draft(submission, default_mapping, Flavour.CLOUD, TABLES)

    assert isinstance(draft.description, dict)
    assert adf_problems(draft.description) == []
    headings = [
        node["content"][0]["text"]
        for node in draft.description["content"]
        if node["type"] == "heading"
    ]
    assert headings == [
        "Submission",
        "Proof of concept",
        "Impact",
        "Recommended solution",
        "Questions",
    ]


def test_rule_overrides_project_type_and_merges_fields(
    make_submission: MakeSubmission, multi_mapping: Mapping
) -> None:
    submission = make_submission(program_handle="kestrel-web")

    draft = build_draft(submission, multi_mapping, Flavour.CLOUD, TABLES)

    assert (draft.project, draft.issue_type) == ("APPSEC", "Vulnerability")
    assert draft.custom_fields == {
        "Affected Asset": "support.northwind.example",
        "Severity": "High",
    }


def test_rule_replaces_the_default_components(
    make_submission: MakeSubmission, multi_mapping: Mapping
) -> None:
    submission = make_submission(program_handle="kestrel-api")

    draft = build_draft(submission, multi_mapping, Flavour.CLOUD, TABLES)

    assert (draft.project, draft.components) == ("SEC", ("API",))


def test_mobile_rule_routes_by_asset(
    make_submission: MakeSubmission, multi_mapping: Mapping
) -> None:
    draft = build_draft(
        make_submission(asset="eu1.m.kestrelworks.example"),
        multi_mapping,
        Flavour.CLOUD,
        TABLES,
    )

    assert (draft.project, draft.issue_type) == ("MOBILE", "Bug")
    assert draft.labels[:4] == (
        "intigriti-northwind-7qk2xw9d",
        "intigriti",
        "program-northwind",
        "mobile",
    )


@pytest.mark.parametrize(
    ("severity_id", "priority"),
    [(6, "Highest"), (5, "Highest"), (4, "High"), (3, "Medium"), (2, "Low")],
)
def test_priority_follows_the_severity_map(
    make_submission: MakeSubmission,
    default_mapping: Mapping,
    severity_id: int,
    priority: str,
) -> None:
    submission = make_submission(severity=SeverityRating(id=severity_id))

    draft = build_draft(submission, default_mapping, Flavour.CLOUD, TABLES)

    assert draft.priority == priority


@pytest.mark.parametrize(
    "severity", [SeverityRating(id=1), SeverityRating(id=99), None]
)
def test_unmapped_severity_sets_no_priority(
    make_submission: MakeSubmission,
    default_mapping: Mapping,
    severity: SeverityRating | None,
) -> None:
    submission = make_submission(severity=severity)

    draft = build_draft(submission, default_mapping, Flavour.CLOUD, TABLES)

    assert draft.priority is None


def test_summary_is_one_line_cut_on_a_word_with_an_ellipsis() -> None:
    title = "word " * 60 + "end"

    summary = make_summary(f"[X-1]\n{title}\r\n")

    assert summary == "[X-1] " + ("word " * 49).rstrip() + "\u2026"
    assert len(summary) == 251


def test_a_300_char_title_fits_in_the_summary(
    make_submission: MakeSubmission, default_mapping: Mapping
) -> None:
    submission = make_submission(title="A" * 300)

    draft = build_draft(submission, default_mapping, Flavour.CLOUD, TABLES)

    assert draft.summary == "[NORTHWIND-7QK2XW9D] " + "A" * 233 + "\u2026"
    assert len(draft.summary) == 255


def test_summary_counts_utf16_units() -> None:
    summary = make_summary("\U0001f600" * 200)

    assert len(summary.encode("utf-16-le")) // 2 <= 255
    assert summary.endswith("\u2026")


PREFIX = "[KESTRELWORKS-ABCD1234] Title "
GRIN = "\U0001f600"


@pytest.mark.parametrize("count", [200, 300])
def test_an_emoji_title_keeps_the_code_and_as_much_as_fits(count: int) -> None:
    summary = make_summary(PREFIX + GRIN * count)

    assert summary == PREFIX + GRIN * 112 + "\u2026"
    assert len(summary.encode("utf-16-le")) // 2 == 255


def test_a_summary_without_spaces_is_cut_on_a_character() -> None:
    assert make_summary("A" * 300) == "A" * 254 + "\u2026"


def test_a_summary_cut_keeps_flags_and_accents_whole() -> None:
    flags = make_summary("[X-1] " + "\U0001f1e7\U0001f1ea" * 200)
    accents = make_summary("[X-1]" + "e\u0301" * 200)

    assert flags == "[X-1] " + "\U0001f1e7\U0001f1ea" * 62 + "\u2026"
    assert accents == "[X-1]" + "e\u0301" * 124 + "\u2026"


def test_zero_width_characters_leave_summaries_and_labels() -> None:
    hidden = "\u200bStored\u200c XSS\u200d\u2060\ufeff"

    assert make_summary(f"[X-1] {hidden}") == "[X-1] Stored XSS"
    assert sanitise_label(hidden) == "Stored-XSS"
    assert sanitise_label("\u200b\ufeff") == ""


def test_a_label_is_cut_to_255_utf16_units_on_a_character() -> None:
    label = sanitise_label("a" + GRIN * 200)

    assert label == "a" + GRIN * 127
    assert len(label.encode("utf-16-le")) // 2 == 255


def test_submission_label_has_no_spaces_and_is_lowercase() -> None:
    assert submission_label("NORTHWIND-7QK2XW9D") == "intigriti-northwind-7qk2xw9d"
    assert submission_label("A B\tC") == "intigriti-a-b-c"


@pytest.mark.parametrize("flavour", [Flavour.CLOUD, Flavour.DATA_CENTER])
def test_a_1mb_report_is_cut_to_the_limit_with_marker_and_link(
    make_submission: MakeSubmission, default_mapping: Mapping, flavour: Flavour
) -> None:
    body = "".join(
        f"<p>paragraph {i} {{code}} [~x] " + "x" * 1000 + "</p>" for i in range(1000)
    )
    submission = make_submission(poc_description=body)

    draft = build_draft(submission, default_mapping, flavour, TABLES)

    length = description_length(draft.description)
    assert DESCRIPTION_LIMIT - 1200 < length <= DESCRIPTION_LIMIT
    text = (
        json.dumps(draft.description) if flavour is Flavour.CLOUD else draft.description
    )
    assert "Truncated to fit Jira" in text
    assert URL in text
    if isinstance(draft.description, dict):
        assert adf_problems(draft.description) == []
        marker = draft.description["content"][-1]["content"][-1]
        assert marker["marks"] == [{"type": "link", "attrs": {"href": URL}}]
    else:
        assert draft.description.endswith(f"|{URL}]")


@pytest.mark.parametrize("flavour", [Flavour.CLOUD, Flavour.DATA_CENTER])
def test_a_single_huge_paragraph_is_cut_not_dropped(
    make_submission: MakeSubmission, default_mapping: Mapping, flavour: Flavour
) -> None:
    submission = make_submission(poc_description="<p>" + "y" * 1_000_000 + "</p>")

    draft = build_draft(submission, default_mapping, flavour, TABLES)

    assert description_length(draft.description) > DESCRIPTION_LIMIT - 100
    assert description_length(draft.description) <= DESCRIPTION_LIMIT


def _unchecked(text: str) -> Mapping:
    """A mapping the loader would refuse, to see how a failing render is named."""
    return Mapping.model_validate(YAML(typ="safe", pure=True).load(text))


def test_template_error_in_a_rule_names_the_rule_and_field(
    make_submission: MakeSubmission,
) -> None:
    mapping = _unchecked(_MAPPING + "    labels: ['{{ handle }}']\n")

    with pytest.raises(MappingError) as caught:
        build_draft(make_submission(), mapping, Flavour.CLOUD, TABLES)

    assert str(caught.value) == (
        "rule 'all'.labels[0]: template failed: 'handle' is undefined"
    )


def test_template_error_in_the_description_names_the_section(
    make_submission: MakeSubmission,
) -> None:
    mapping = _unchecked(_MAPPING.replace("{{ code }}", "{{ cod }}"))

    with pytest.raises(MappingError) as caught:
        build_draft(make_submission(), mapping, Flavour.CLOUD, TABLES)

    assert str(caught.value) == (
        "defaults (rule 'all').description[0].text: template failed: 'cod' is undefined"
    )


def test_custom_fields_render_templates_and_keep_literals(
    make_submission: MakeSubmission, write_mapping: WriteMapping
) -> None:
    text = (
        _MAPPING.replace(
            "rules:",
            "  fields:\n    Reporter handle: '{{ submitter }}'\n    Points: 3\n"
            "    Empty: '{{ endpoint }}'\nrules:",
        )
        + "    fields:\n      Points: 5\n"
    )
    mapping = load_mapping(write_mapping(text))

    draft = build_draft(make_submission(endpoint=None), mapping, Flavour.CLOUD, TABLES)

    assert draft.custom_fields == {"Reporter handle": "quietlark", "Points": 5}


_MAPPING = """\
version: 1
defaults:
  project: SEC
  issue_type: Task
  summary: "{{ title }}"
  description:
    - text: "See {{ code }}"
rules:
  - name: all
    match: {}
"""
