"""Value maps: severity and CVSS to priority, SLA days to a due date, tags to
labels, Intigriti users to Jira accounts, and field objects to values.

Every function here answers ``None`` (or leaves a key out) when a value
cannot be mapped: the draft then omits the field and Jira keeps whatever a
person set. Nothing here clears a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, timedelta
from typing import Any

from syncd.errors import MappingError
from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import Submission
from syncd.jira.models import Flavour
from syncd.mapping.models import Account, Defaults, FieldSpec, Mapping
from syncd.mapping.render.text import clean_text

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def priority(
    submission: Submission, defaults: Defaults, tables: EnumTables
) -> str | None:
    """The priority name: by CVSS score range first, then by severity."""
    score = submission.severity.score if submission.severity else None
    if score is not None:
        for span in defaults.priority_by_score:
            if span.min <= score <= span.max:
                return span.priority
    severity = submission.severity_name(tables)
    return defaults.priority.get(severity) if severity else None


def due_date(
    submission: Submission, defaults: Defaults, tables: EnumTables
) -> str | None:
    """``YYYY-MM-DD``: the creation day (UTC) plus the severity's SLA days."""
    rule = defaults.due_date
    severity = submission.severity_name(tables)
    if rule is None or severity is None or severity not in rule.days:
        return None
    created = submission.created_at.astimezone(UTC).date()
    return (created + timedelta(days=rule.days[severity])).isoformat()


def tag_labels(tags: Iterable[str], defaults: Defaults) -> list[str]:
    """Mapped tags become their labels; others pass through if configured."""
    table = {tag.casefold(): labels for tag, labels in defaults.tag_labels.items()}
    labels: list[str] = []
    for tag in tags:
        mapped = table.get(tag.casefold())
        if mapped is not None:
            labels.extend(mapped)
        elif defaults.include_tags:
            labels.append(tag)
    return labels


def jira_account(mapping: Mapping, user: str | None, flavour: Flavour) -> str | None:
    """The Jira account of an Intigriti user name, or None if not mapped."""
    if not user:
        return None
    wanted = user.strip().casefold()
    for name, account in mapping.identity.items():
        if name.casefold() != wanted:
            continue
        if isinstance(account, Account):
            return account.cloud if flavour is Flavour.CLOUD else account.datacenter
        return account
    return None


def spec_value(
    spec: FieldSpec,
    context: dict[str, Any],
    where: str,
    mapping: Mapping,
    flavour: Flavour,
) -> Any | None:
    """The value a field object gives, or None to leave the field out."""
    match spec.source:
        case "literal":
            return spec.literal
        case "map":
            assert spec.map is not None
            key = _text(spec.map.source.render(context, f"{where}.map.from"))
            table = {str(k).casefold(): v for k, v in spec.map.values.items()}
            return table.get(key.casefold()) if key else None
    template = getattr(spec, spec.source)
    text = _text(template.render(context, f"{where}.{spec.source}"))
    if not text:
        return None
    match spec.source:
        case "number":
            return _number(text, where)
        case "date":
            return _date(text, where)
        case "user":
            return jira_account(mapping, text, flavour)
    return text


def rendered_value(value: Any) -> Any | None:
    """A template's output, cleaned; empty means no value."""
    text = _text(value) if isinstance(value, str) else value
    return None if text == "" else text


def _text(value: str) -> str:
    return clean_text(value).strip()


def _number(text: str, where: str) -> int | float:
    if not _NUMBER.match(text):
        raise MappingError(f"{where}.number: renders {len(text)} chars, not a number")
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def _date(text: str, where: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise MappingError(f"{where}.date: does not render YYYY-MM-DD") from None


def create_only(mapping: Mapping, owned_fields: Iterable[str]) -> frozenset[str]:
    """Built-in field ids and custom field names owned by Jira after create."""
    names: set[str] = {
        name for name, owner in mapping.defaults.owners.items() if owner == "jira"
    }
    due = mapping.defaults.due_date
    if due is not None and due.owner == "jira":
        names.add(due.field)
    return frozenset(names | set(owned_fields))
