"""What `syncd mapping check` finds beyond the file's own validity.

Two passes, both pure. ``lint_offline`` needs only the file (static labels
with spaces). ``lint_against_jira`` takes a ``Site``, Jira's metadata as the
command read it, and checks every target the mapping can route to (the
defaults and each rule): project and issue type exist; every mapped field
is on the create screen, resolves by name to exactly one field, and has the
type its source needs; static options, priorities and components exist; and
every field the create screen requires is set. Messages start with
``file:line:column: key``, like the loader's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from syncd.errors import MappingError
from syncd.jira.fields import FieldCatalog, FieldInfo, ambiguous, pick
from syncd.mapping.loader import MappingFile
from syncd.mapping.models import FieldEntry, FieldSpec, Rule
from syncd.mapping.templates import Template

# Fields Jira fills itself on create, or that every create sends.
_IMPLIED = frozenset({"project", "issuetype", "summary", "description", "reporter"})
Loc = tuple[str | int, ...]
_SPEC_TYPES = {"number": ("number",), "date": ("date", "datetime"), "user": ("user",)}


@dataclass(frozen=True)
class ScreenField:
    """One field of a create screen, as createmeta describes it."""

    id: str
    name: str
    required: bool = False
    has_default: bool = False
    schema_type: str | None = None
    allowed: tuple[str, ...] | None = None
    """Names or values of ``allowedValues``; None when the field has none."""

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> ScreenField:
        allowed = raw.get("allowedValues")
        return cls(
            id=str(raw.get("fieldId") or raw.get("key")),
            name=str(raw.get("name", "")),
            required=bool(raw.get("required", False)),
            has_default=bool(raw.get("hasDefaultValue", False)),
            schema_type=(raw.get("schema") or {}).get("type"),
            allowed=None
            if allowed is None
            else tuple(
                str(item.get("name", item.get("value", "")))
                for item in allowed
                if isinstance(item, dict)
            ),
        )


class Site(Protocol):
    """Jira's metadata, as much as the checks need."""

    def catalog(self) -> FieldCatalog: ...

    def issue_types(self, project: str) -> list[str] | None:
        """Issue type names creatable in ``project``; None if it is unknown."""

    def create_screen(self, project: str, issue_type: str) -> dict[str, ScreenField]:
        """The create screen's fields by id."""


def lint_offline(file: MappingFile) -> list[str]:
    """Problems visible without Jira."""
    found: list[str] = []
    lists: list[tuple[Loc, list[Template]]] = [
        (("defaults", "labels"), file.mapping.defaults.labels)
    ]
    lists += [
        (("rules", i, "labels"), r.labels) for i, r in enumerate(file.mapping.rules)
    ]
    for loc, labels in lists:
        for index, label in enumerate(labels):
            if _static(label) and any(c.isspace() for c in label.source):
                found.append(
                    f"{file.where(*loc, index)}: label {label.source!r} has spaces, "
                    "which Jira labels cannot have (use '-')"
                )
    return found


def lint_against_jira(file: MappingFile, site: Site) -> list[str]:
    """Problems only Jira's metadata shows, each once."""
    found: list[str] = [*_target(file, site, None)]
    for index, rule in enumerate(file.mapping.rules):
        found += _target(file, site, (index, rule))
    return list(dict.fromkeys(found))


def _target(file: MappingFile, site: Site, ruled: tuple[int, Rule] | None) -> list[str]:
    defaults = file.mapping.defaults
    index, rule = ruled if ruled else (None, None)
    at = ("defaults",) if index is None else ("rules", index)
    project = (rule and rule.project) or defaults.project
    issue_type = (rule and rule.issue_type) or defaults.issue_type
    project_at = at if rule and rule.project else ("defaults",)
    type_at = at if rule and rule.issue_type else ("defaults",)

    types = site.issue_types(project)
    if types is None:
        where = file.where(*project_at, "project")
        return [
            f"{where}: Jira has no project {project} (or syncd may not create in it)"
        ]
    if issue_type not in types:
        where = file.where(*type_at, "issue_type")
        have = ", ".join(types) or "none"
        return [
            f"{where}: project {project} has no issue type {issue_type!r}; "
            f"it has: {have}"
        ]

    screen = site.create_screen(project, issue_type)
    check = _Check(file, site.catalog(), screen, f"{project}/{issue_type}")
    check.builtins(rule, at)
    for name, (entry, loc) in _entries(file, rule, index).items():
        check.field(name, entry, loc)
    due = defaults.due_date
    if due is not None:
        check.field(due.field, None, ("defaults", "due_date", "field"), kind="date")
    check.required(project_at)
    return check.found


def _entries(
    file: MappingFile, rule: Rule | None, index: int | None
) -> dict[str, tuple[FieldEntry, Loc]]:
    entries: dict[str, tuple[FieldEntry, Loc]] = {
        name: (entry, ("defaults", "fields", name))
        for name, entry in file.mapping.defaults.fields.items()
    }
    if rule is not None and index is not None:
        entries |= {
            name: (entry, ("rules", index, "fields", name))
            for name, entry in rule.fields.items()
        }
    return entries


class _Check:
    """The checks of one target (project and issue type), collecting problems."""

    def __init__(
        self,
        file: MappingFile,
        catalog: FieldCatalog,
        screen: dict[str, ScreenField],
        target: str,
    ) -> None:
        self.file = file
        self.catalog = catalog
        self.screen = screen
        self.target = target
        self.set_ids = {"labels"}
        self.found: list[str] = []

    def problem(self, loc: Iterable[str | int], text: str) -> None:
        self.found.append(f"{self.file.where(*loc)}: {text}")

    def on_screen(self, field_id: str, name: str, loc: Iterable[str | int]) -> bool:
        if field_id in self.screen:
            return True
        self.problem(
            loc, f"{name!r} ({field_id}) is not on the create screen of {self.target}"
        )
        return False

    def builtins(self, rule: Rule | None, at: Loc) -> None:
        defaults = self.file.mapping.defaults
        self.on_screen("labels", "Labels", ("defaults", "labels"))

        priorities: list[tuple[Loc, str]] = [
            (("defaults", "priority", str(severity)), name)
            for severity, name in defaults.priority.items()
        ] + [
            (("defaults", "priority_by_score", i, "priority"), span.priority)
            for i, span in enumerate(defaults.priority_by_score)
        ]
        if priorities:
            self.set_ids.add("priority")
            if self.on_screen("priority", "Priority", ("defaults", "priority")):
                for loc, name in priorities:
                    self.allowed("priority", name, loc)

        components = rule.components if rule and rule.components is not None else None
        loc = (
            (*at, "components")
            if components is not None
            else ("defaults", "components")
        )
        components = defaults.components if components is None else components
        if components:
            self.set_ids.add("components")
            if self.on_screen("components", "Component/s", loc):
                for i, component in enumerate(components):
                    if _static(component):
                        self.allowed("components", component.source, (*loc, i))

    def field(
        self,
        name: str,
        entry: FieldEntry | None,
        loc: Loc,
        kind: str | None = None,
    ) -> None:
        info = self.resolve(name, loc)
        if info is None or not self.on_screen(info.id, name, loc):
            return
        self.set_ids.add(info.id)

        kind = kind or (entry.source if isinstance(entry, FieldSpec) else None)
        wanted = _SPEC_TYPES.get(kind or "")
        if wanted and info.schema_type not in wanted:
            self.problem(
                loc,
                f"{name!r} ({info.id}) is a {info.schema_type} field, "
                f"but the mapping gives it a {kind}",
            )
        if info.schema_type == "number" and _renders_text(entry):
            self.problem(
                loc,
                f"{name!r} ({info.id}) is a number field; a template renders "
                "text, so give it as {number: ...}",
            )
        for value in _static_values(entry):
            self.allowed(info.id, value, loc)

    def resolve(self, name: str, loc: Loc) -> FieldInfo | None:
        found = self.catalog.candidates(name)
        if not found:
            self.problem(loc, str(self.catalog.unknown(name)))
            return None
        if len(found) == 1:
            return found[0]
        chosen = pick(found, set(self.screen))
        if chosen is None:
            problem: MappingError = ambiguous(name, found, self.target)
            self.problem(loc, str(problem))
        return chosen

    def allowed(self, field_id: str, value: Any, loc: Iterable[str | int]) -> None:
        field = self.screen.get(field_id)
        if field is None or field.allowed is None:
            return
        if str(value) not in field.allowed:
            options = ", ".join(repr(a) for a in field.allowed)
            self.problem(
                loc,
                f"{value!r} is not an option of {field.name!r} in {self.target}; "
                f"options: {options}",
            )

    def required(self, loc: Loc) -> None:
        for field in self.screen.values():
            if (
                field.required
                and not field.has_default
                and field.id not in _IMPLIED
                and field.id not in self.set_ids
            ):
                self.problem(
                    (*loc, "project"),
                    f"{self.target} requires {field.name!r} ({field.id}) on create, "
                    "and the mapping does not set it",
                )


def _static(template: Template) -> bool:
    return "{{" not in template.source and "{%" not in template.source


def _renders_text(entry: FieldEntry | None) -> bool:
    if isinstance(entry, FieldSpec):
        return entry.text is not None
    return isinstance(entry, Template)


def _static_values(entry: FieldEntry | None) -> list[Any]:
    """Values known before any submission: literals, map values, plain text."""
    if isinstance(entry, FieldSpec):
        if entry.map is not None:
            return list(entry.map.values.values())
        if entry.text is not None and _static(entry.text):
            return [entry.text.source]
        return [entry.literal] if entry.source == "literal" else []
    if isinstance(entry, Template):
        return [entry.source] if _static(entry) else []
    if isinstance(entry, str | int | float) and not isinstance(entry, bool):
        return [entry]
    return []
