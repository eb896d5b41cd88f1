"""What the mapping produces: the Jira fields to write for one submission."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.jira.models import Flavour


@dataclass(frozen=True)
class IssueDraft:
    """Jira content for one submission, already rendered for one flavour.

    ``description`` is an ADF document (dict) for Cloud and a wiki-markup
    string for Data Center. ``custom_fields`` are keyed by field *name*; the
    Jira client resolves names to ``customfield_NNNNN`` ids. A field the
    mapping could not fill is absent, never ``None``: Jira keeps its value.

    ``create_only`` names the fields owned by Jira once the issue exists
    (``owner: jira``): keys of ``custom_fields`` and built-in field ids
    (``priority``, ``labels``, ...). They are written on create and never
    updated; ``JiraClient.create_only_ids`` turns them into field ids.
    """

    flavour: Flavour
    project: str
    issue_type: str
    summary: str
    description: str | dict[str, Any]
    priority: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    custom_fields: Mapping[str, Any] = field(default_factory=dict)
    create_only: frozenset[str] = frozenset()
