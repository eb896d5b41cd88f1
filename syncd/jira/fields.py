"""Custom field names to ``customfield_NNNNN`` ids, and values to Jira's shapes.

Mapping files name custom fields the way people see them ("CVSS Score").
Jira wants ids, and names are not unique across a site: two projects may
each have their own "Severity". This module does no I/O; the client feeds it
``GET /field`` and, when a name is ambiguous, the create screen's field ids
from ``GET /issue/createmeta/{project}/issuetypes/{id}``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from syncd.errors import MappingError
from syncd.jira.models import Flavour

_MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class FieldInfo:
    """One Jira field as ``GET /field`` describes it."""

    id: str
    name: str
    custom: bool
    schema_type: str | None = None
    items: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> FieldInfo:
        schema = raw.get("schema") or {}
        return cls(
            id=str(raw["id"]),
            name=str(raw.get("name", raw["id"])),
            custom=bool(raw.get("custom", False)),
            schema_type=schema.get("type"),
            items=schema.get("items"),
        )


class FieldCatalog:
    """Every field of one Jira site, looked up by name."""

    def __init__(self, fields: Iterable[FieldInfo]) -> None:
        self._by_id = {f.id: f for f in fields}
        self._by_name: dict[str, list[FieldInfo]] = {}
        for info in self._by_id.values():
            self._by_name.setdefault(info.name.casefold(), []).append(info)

    @classmethod
    def from_raw(cls, raw: Iterable[Mapping[str, Any]]) -> FieldCatalog:
        return cls(FieldInfo.from_raw(item) for item in raw)

    def by_id(self, field_id: str) -> FieldInfo | None:
        return self._by_id.get(field_id)

    def candidates(self, name: str) -> list[FieldInfo]:
        """Fields called ``name`` (case-insensitive); more than one is possible."""
        return list(self._by_name.get(name.casefold(), []))

    def unknown(self, name: str) -> MappingError:
        """The error for a name no field has, with the closest names."""
        names = sorted({f.name for f in self._by_id.values() if f.custom})
        close = difflib.get_close_matches(name, names, n=_MAX_SUGGESTIONS, cutoff=0.5)
        hint = ", ".join(repr(n) for n in close) if close else "none similar"
        return MappingError(f"Jira has no field named {name!r}; candidates: {hint}")


def ambiguous(name: str, found: list[FieldInfo], project: str) -> MappingError:
    """The error for a name several fields share, none on the create screen."""
    ids = ", ".join(sorted(f.id for f in found))
    return MappingError(
        f"field name {name!r} matches {ids}, and none of them is on the "
        f"create screen of project {project}"
    )


def pick(found: list[FieldInfo], on_screen: set[str]) -> FieldInfo | None:
    """The one candidate the project's create screen shows, if exactly one."""
    shown = [f for f in found if f.id in on_screen]
    return shown[0] if len(shown) == 1 else None


def shape_value(info: FieldInfo, value: Any, flavour: Flavour) -> Any:
    """Wrap a plain value the way Jira expects it for the field's type.

    Select lists take ``{"value": ...}``, users ``{"accountId": ...}`` on
    Cloud and ``{"name": ...}`` on Data Center. Values already shaped
    (dicts, lists of dicts) and ``None`` (clear the field) pass unchanged.
    """
    if value is None or isinstance(value, dict):
        return value
    if info.schema_type == "option":
        return {"value": value}
    if info.schema_type == "user":
        return {"accountId" if flavour is Flavour.CLOUD else "name": value}
    if info.schema_type == "array" and isinstance(value, list | tuple):
        if info.items == "option":
            return [v if isinstance(v, dict) else {"value": v} for v in value]
        return list(value)
    return value
