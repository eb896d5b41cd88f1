"""The demo corpus synced through the shipped example mappings, end to end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncd.engine import Outcome
from syncd.runtime import open_runtime
from syncd.sim.intigriti.model import Submission as SimSubmission
from syncd.sim.jira.defaults import (
    AFFECTED_ASSET,
    APPSEC_SEVERITY,
    CVSS_SCORE,
    DISCLOSURE_DATE,
    INTIGRITI_SEVERITY,
    SECURITY_CHAMPION,
    SUBMISSION_CODE,
)
from syncd.sim.runner import Simulators, running_simulators

from .conftest import MAPPING_DIR, settings_from_env

PRIORITY = {
    "exceptional": "Highest",
    "critical": "Highest",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}
MOBILE_HOSTS = {"m.kestrelworks.example", "*.m.kestrelworks.example"}


@pytest.fixture(scope="module")
def demo() -> Iterator[Simulators]:
    with running_simulators(seed=7, submissions=240) as sims:
        yield sims


def _synced(sims: Simulators, redis_url: str, mapping: str) -> dict[str, Any]:
    env = sims.settings_env(redis_url, MAPPING_DIR / mapping)
    with open_runtime(settings_from_env(env)) as runtime:
        report = runtime.engine.run_cycle()
        links = {
            sub.code: runtime.state.link(sub.code)
            for sub in sims.intigriti.submissions()
        }
    assert report.failures() == 0
    assert report.count(Outcome.CREATED) == len(links)
    return {
        code: sims.jira.issue_snapshot(link.id)
        for code, link in links.items()
        if link is not None
    }


def _expected_project(sims: Simulators, sub: SimSubmission) -> str:
    program = next(p for p in sims.intigriti.programs() if p.id == sub.program_id)
    host = _asset(sims, sub)
    if host in MOBILE_HOSTS:
        return "MOBILE"
    if program.handle == "kestrel-web":
        return "APPSEC"
    if program.handle == "kestrel-api" and sub.severity.key in (
        "critical",
        "exceptional",
    ):
        return "APPSEC"
    return "SEC"


def _asset(sims: Simulators, sub: SimSubmission) -> str:
    program = next(p for p in sims.intigriti.programs() if p.id == sub.program_id)
    return next(d.endpoint for d in program.domains if d.id == sub.report.domain_id)


def test_demo_corpus_lands_in_the_expected_projects_with_the_expected_fields(
    demo: Simulators, redis_url: str
) -> None:
    issues = _synced(demo, redis_url, "multi-program.yaml")

    subs = demo.intigriti.submissions()
    assert sorted(issues) == sorted(sub.code for sub in subs)
    projects: Counter[str] = Counter()
    for sub in subs:
        fields = issues[sub.code]["fields"]
        program = next(p for p in demo.intigriti.programs() if p.id == sub.program_id)
        project = _expected_project(demo, sub)
        projects[project] += 1
        assert fields["project"]["key"] == project, sub.code
        assert fields["priority"]["name"] == PRIORITY[sub.severity.key]
        assert {"intigriti", f"program-{program.handle}"} <= set(fields["labels"])
        if project == "APPSEC":
            assert fields[AFFECTED_ASSET] == _asset(demo, sub)
        if project == "SEC" and program.handle == "kestrel-api":
            assert [c["name"] for c in fields["components"]] == ["API"]
        if project == "MOBILE":
            assert "mobile" in fields["labels"]
    assert all(projects[key] > 0 for key in ("SEC", "APPSEC", "MOBILE")), projects


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_custom_fields_and_value_maps_reach_jira(redis_url: str, flavour: str) -> None:
    days = {"critical": 7, "high": 30, "medium": 90, "low": 180}
    with running_simulators(seed=7, submissions=40, jira_flavour=flavour) as sims:
        issues = _synced(sims, redis_url, "cloud-custom-fields.yaml")
        subs = sims.intigriti.submissions()

    champions = privacy = 0
    for sub in subs:
        fields = issues[sub.code]["fields"]
        key = sub.severity.key
        created = datetime.fromtimestamp(sub.created_at, tz=UTC).date()
        assert fields[SUBMISSION_CODE] == sub.code
        assert fields[CVSS_SCORE] == sub.severity.score
        assert fields[INTIGRITI_SEVERITY]["value"] == key.capitalize()
        assert fields[APPSEC_SEVERITY]["value"] == key.capitalize()
        assert fields[AFFECTED_ASSET] == _asset(sims, sub)
        assert fields[DISCLOSURE_DATE] == str(created + timedelta(days[key]))
        lena = sub.assignee is not None and sub.assignee.user_name == "triage.lena"
        assert (fields.get(SECURITY_CHAMPION) is not None) is lena, sub.code
        champions += lena
        labels = set(fields["labels"])
        assert ("privacy" in labels) is ("pii" in sub.tags)
        privacy += "pii" in sub.tags
        assert "legacy" not in labels
    assert champions > 0
    assert privacy > 0
