"""Stored entities: issues and what hangs off them. Plain data, no rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from syncd.sim.jira.adf import RichText


def now() -> datetime:
    return datetime.now(UTC)


def jira_time(moment: datetime) -> str:
    """Jira's timestamp format, e.g. ``2026-12-03T16:06:56.123+0000``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


@dataclass
class Comment:
    id: str
    author: str
    body: RichText
    created: datetime
    visibility: dict[str, str] | None = None


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    object: dict[str, Any]
    application: dict[str, Any] | None = None
    relationship: str | None = None


@dataclass
class Attachment:
    id: str
    filename: str
    author: str
    size: int
    mime_type: str
    created: datetime
    content: bytes = b""


@dataclass
class IndexEntry:
    """What JQL sees of an issue from `visible_at` (epoch seconds) on."""

    visible_at: float
    document: dict[str, Any]


@dataclass
class Issue:
    id: int
    project_key: str
    number: int
    issue_type: str
    status: str
    reporter: str
    created: datetime
    updated: datetime
    fields: dict[str, Any] = field(default_factory=dict)
    resolution: str | None = None
    resolution_date: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    remote_links: list[RemoteLink] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    old_keys: list[str] = field(default_factory=list)
    index: list[IndexEntry] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.project_key}-{self.number}"
