"""`syncd mapping check`: offline, and against the Jira simulator's metadata."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.commands.mapping import check_report
from syncd.jira.client import JiraClient
from syncd.sim.runner import running_simulators

from ..conftest import settings_from_env
from .conftest import REPO, WriteMapping

SHIPPED = sorted((REPO / "mappings").glob("*.yaml"))
BAD = """\
version: 1
defaults:
  project: SEC
  issue_type: Bug
  summary: "{{ title }}"
  priority: {high: Urgent}
  labels: ["needs triage", "{{ code }} x"]
  description:
    - field: impact
  fields:
    Severity: S9
    CVS Score: "{{ severity_score }}"
    CVSS Score: "{{ severity_score }}"
    Submission Code: {number: "{{ code }}"}
rules:
  - name: appsec
    match: {program: a}
    project: APPSEC
    issue_type: Vulnerability
  - name: nope
    match: {program: b}
    project: NOPE
  - name: story
    match: {program: c}
    project: MOBILE
    issue_type: Story
  - name: mobile
    match: {program: d}
    project: MOBILE
    components: [Web]
"""


@pytest.fixture(scope="module", params=["cloud", "datacenter"])
def jira(request: pytest.FixtureRequest) -> Iterator[JiraClient]:
    with running_simulators(seed=3, submissions=1, jira_flavour=request.param) as sims:
        settings = settings_from_env(sims.settings_env("redis://127.0.0.1:1/0"))
        with JiraClient.connect(settings.jira) as client:
            yield client


def test_shipped_mappings_pass_offline() -> None:
    ok, text = check_report(SHIPPED, None)

    assert ok, text
    assert text.splitlines() == [f"[ok  ] {path} (checked offline)" for path in SHIPPED]


def test_shipped_mappings_pass_against_jira(jira: JiraClient) -> None:
    ok, text = check_report(SHIPPED, jira)

    assert ok, text


def test_offline_check_flags_static_labels_with_spaces(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping(BAD)

    ok, text = check_report([path], None)

    assert not ok
    assert text.splitlines() == [
        f"[FAIL] {path}",
        f"  {path}:7:12: defaults.labels[0]: label 'needs triage' has spaces, "
        "which Jira labels cannot have (use '-')",
    ]


def test_a_file_that_does_not_load_fails_with_its_line(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping(BAD.replace("version: 1", "version: 2"))

    ok, text = check_report([path], None)

    assert not ok
    assert text.startswith(
        f"[FAIL] invalid mapping file:\n{path}:1:1: version: Input should be 1"
    )


def _problems(path: Path, jira: JiraClient) -> list[str]:
    ok, text = check_report([path], jira)
    assert not ok
    return [line.strip().removeprefix(f"{path}:") for line in text.splitlines()[1:]]


@pytest.mark.parametrize(
    "expected",
    [
        "6:14: defaults.priority.high: 'Urgent' is not an option of 'Priority' in "
        "SEC/Bug; options: 'Highest', 'High', 'Medium', 'Low', 'Lowest'",
        "11:5: defaults.fields.Severity: 'S9' is not an option of 'Severity' in "
        "SEC/Bug; options: 'S1', 'S2', 'S3', 'S4'",
        "11:5: defaults.fields.Severity: 'S9' is not an option of 'Severity' in "
        "APPSEC/Vulnerability; options: 'Low', 'Medium', 'High', 'Critical'",
        "11:5: defaults.fields.Severity: field name 'Severity' matches "
        "customfield_10200, customfield_10201, and none of them is on the create "
        "screen of project MOBILE/Bug",
        "12:5: defaults.fields.CVS Score: Jira has no field named 'CVS Score'; "
        "candidates: 'CVSS Score'",
        "13:5: defaults.fields.CVSS Score: 'CVSS Score' (customfield_10100) is a "
        "number field; a template renders text, so give it as {number: ...}",
        "14:5: defaults.fields.Submission Code: 'Submission Code' (customfield_10102) "
        "is a string field, but the mapping gives it a number",
        "14:5: defaults.fields.Submission Code: 'Submission Code' (customfield_10102) "
        "is not on the create screen of MOBILE/Bug",
        "18:5: rules[0] (rule 'appsec').project: APPSEC/Vulnerability requires "
        "'Affected Asset' (customfield_10103) on create, and the mapping does not "
        "set it",
        "22:5: rules[1] (rule 'nope').project: Jira has no project NOPE (or syncd "
        "may not create in it)",
        "26:5: rules[2] (rule 'story').issue_type: project MOBILE has no issue type "
        "'Story'; it has: Bug, Task",
        "30:18: rules[3] (rule 'mobile').components[0]: 'Web' is not an option of "
        "'Component/s' in MOBILE/Bug; options: 'iOS', 'Android'",
    ],
)
def test_check_against_jira_names_file_line_and_key(
    write_mapping: WriteMapping, jira: JiraClient, expected: str
) -> None:
    problems = _problems(write_mapping(BAD), jira)

    assert expected in problems


def test_a_field_not_on_the_create_screen_is_reported(
    write_mapping: WriteMapping, jira: JiraClient
) -> None:
    text = BAD.split("rules:")[0].replace("project: SEC", "project: MOBILE")
    text = text.replace("  priority: {high: Urgent}\n", "").replace(
        '"needs triage", ', ""
    )
    text = text.split("  fields:")[0] + "  fields:\n    Affected Asset: x\n"

    assert _problems(write_mapping(text), jira) == [
        "10:5: defaults.fields.Affected Asset: 'Affected Asset' (customfield_10103) "
        "is not on the create screen of MOBILE/Bug"
    ]
