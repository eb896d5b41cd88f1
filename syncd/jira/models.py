"""Shapes syncd exchanges with Jira, independent of the client library."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Flavour(StrEnum):
    """Which Jira syncd talks to; detected from ``serverInfo``."""

    CLOUD = "cloud"
    DATA_CENTER = "datacenter"


@dataclass(frozen=True)
class IssueRef:
    """A Jira issue as syncd remembers it: the id is stable, the key is not."""

    id: str
    key: str
