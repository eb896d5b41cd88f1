"""Rules: each criterion, all criteria together, first match wins."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import SeverityRating
from syncd.mapping.models import Rule
from syncd.mapping.routing import select_rule

from .conftest import MakeSubmission

TABLES = EnumTables()


def _rule(name: str, **match: Any) -> Rule:
    return Rule.model_validate({"name": name, "match": match})


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"program": "northwind"}, True),
        ({"program": "3f0c9a5e-1b2d-4c6e-9f10-a1b2c3d4e5f6"}, True),
        ({"program": ["other", "northwind"]}, True),
        ({"program": "other"}, False),
        ({"asset": "*.northwind.example"}, True),
        ({"asset": "SUPPORT.*"}, True),
        ({"asset": "*.apk"}, False),
        ({"severity": "high"}, True),
        ({"severity": ["low", "medium"]}, False),
        ({"vulnerability_type": "cross-site scripting*"}, True),
        ({"vulnerability_type": "SQL Injection"}, False),
        ({"cwe": "CWE-79"}, True),
        ({"cwe": 79}, True),
        ({"cwe": "cwe-89"}, False),
        ({"tags": "XSS"}, True),
        ({"tags": ["rce"]}, False),
        ({"program": "northwind", "severity": "high"}, True),
        ({"program": "northwind", "severity": "low"}, False),
        ({}, True),
    ],
)
def test_rule_matches_by_each_criterion(
    make_submission: MakeSubmission, match: dict[str, Any], expected: bool
) -> None:
    rule = _rule("r", **match)

    chosen = select_rule(make_submission(), [rule], TABLES)

    assert (chosen is rule) is expected


def test_first_matching_rule_wins(make_submission: MakeSubmission) -> None:
    rules = [
        _rule("mobile", asset="*.apk"),
        _rule("program", program="northwind"),
        _rule("severity", severity="high"),
    ]

    chosen = select_rule(make_submission(), rules, TABLES)

    assert chosen is not None
    assert chosen.name == "program"


def test_no_matching_rule_means_defaults(make_submission: MakeSubmission) -> None:
    rules = [_rule("mobile", asset="*.apk")]

    assert select_rule(make_submission(), rules, TABLES) is None


def test_missing_values_never_match(make_submission: MakeSubmission) -> None:
    submission = make_submission(asset=None, cwe=None, severity=SeverityRating())
    rules = [
        _rule("asset", asset="*"),
        _rule("cwe", cwe="cwe-79"),
        _rule("severity", severity="high"),
    ]

    assert select_rule(submission, rules, TABLES) is None
