"""Which rule of a mapping applies to a submission: the first that matches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import Submission
from syncd.mapping.models import Match, Rule
from syncd.mapping.templates import normalise_cwe


def select_rule(
    submission: Submission, rules: Sequence[Rule], tables: EnumTables
) -> Rule | None:
    """The first rule whose match holds, or None to use the defaults alone."""
    for rule in rules:
        if matches(rule.match, submission, tables):
            return rule
    return None


def matches(match: Match, submission: Submission, tables: EnumTables) -> bool:
    """Every condition given holds; a condition holds if any value does."""
    programs = {submission.program_id, submission.program_handle}
    tags = {tag.lower() for tag in submission.tags}
    checks = (
        not match.program or any(p in programs for p in match.program),
        not match.asset or _glob(submission.asset, match.asset),
        not match.severity or submission.severity_name(tables) in match.severity,
        not match.vulnerability_type
        or _glob(submission.vulnerability_type, match.vulnerability_type),
        not match.cwe or normalise_cwe(submission.cwe) in match.cwe,
        not match.tags or any(tag.lower() in tags for tag in match.tags),
    )
    return all(checks)


def _glob(value: str | None, patterns: Iterable[str]) -> bool:
    if value is None:
        return False
    return any(fnmatchcase(value.lower(), pattern.lower()) for pattern in patterns)
