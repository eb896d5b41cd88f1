"""What the client reads back from Jira, as plain frozen values.

The engine compares these with what it last wrote; it never sees the
``jira`` library's resource objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncd.jira.models import IssueRef


def parse_jira_time(value: str | None) -> datetime | None:
    """Jira's ``2026-12-03T16:06:56.123+0000`` as an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class IssueSnapshot:
    """One issue as ``GET /issue/{id}`` showed it at one moment."""

    id: str
    key: str
    project: str
    status: str
    status_category: str
    summary: str
    labels: tuple[str, ...]
    updated: datetime | None
    resolution: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ref(self) -> IssueRef:
        return IssueRef(id=self.id, key=self.key)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> IssueSnapshot:
        fields = raw.get("fields") or {}
        status = fields.get("status") or {}
        category = status.get("statusCategory") or {}
        resolution = fields.get("resolution") or {}
        project = fields.get("project") or {}
        return cls(
            id=str(raw["id"]),
            key=str(raw["key"]),
            project=str(project.get("key", "")),
            status=str(status.get("name", "")),
            status_category=str(category.get("key", "")),
            summary=str(fields.get("summary") or ""),
            labels=tuple(fields.get("labels") or ()),
            updated=parse_jira_time(fields.get("updated")),
            resolution=resolution.get("name"),
            fields=fields,
        )


@dataclass(frozen=True)
class FoundIssue:
    """One search hit: the issue's id and key plus the fields asked for."""

    id: str
    key: str
    fields: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ref(self) -> IssueRef:
        return IssueRef(id=self.id, key=self.key)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> FoundIssue:
        return cls(
            id=str(raw["id"]), key=str(raw["key"]), fields=raw.get("fields") or {}
        )


@dataclass(frozen=True)
class Transition:
    """A workflow step available from the issue's current status.

    Choose by ``to_status``/``to_category``, never by ``name``: real
    workflows name transitions freely ("Resolve as duplicate" leads to Done).
    """

    id: str
    name: str
    to_status: str
    to_category: str
    fields: tuple[str, ...] = ()
    required_fields: tuple[str, ...] = ()

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Transition:
        target = raw.get("to") or {}
        category = target.get("statusCategory") or {}
        screen = raw.get("fields") or {}
        return cls(
            id=str(raw["id"]),
            name=str(raw.get("name", "")),
            to_status=str(target.get("name", "")),
            to_category=str(category.get("key", "")),
            fields=tuple(screen),
            required_fields=tuple(
                name for name, meta in screen.items() if meta.get("required")
            ),
        )
