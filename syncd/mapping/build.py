"""A Submission and a mapping in, an IssueDraft out: the whole mapping step.

Pure: no I/O, no clock, no randomness. The same submission, mapping, flavour
and enum tables always give the same draft, so comparing drafts tells
whether Jira needs an update.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from syncd.errors import MappingError
from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import Submission
from syncd.jira.models import Flavour
from syncd.mapping import values
from syncd.mapping.description import description_blocks, render_description
from syncd.mapping.draft import IssueDraft
from syncd.mapping.models import FieldEntry, FieldSpec, Mapping, Rule
from syncd.mapping.render.text import (
    clean_text,
    cut_utf16,
    drop_zero_width,
    one_line,
    utf16_length,
)
from syncd.mapping.routing import select_rule
from syncd.mapping.templates import Template, template_context

SUMMARY_LIMIT = 255
LABEL_LIMIT = 255
ELLIPSIS = "\u2026"


def build_draft(
    submission: Submission, mapping: Mapping, flavour: Flavour, tables: EnumTables
) -> IssueDraft:
    """The Jira issue ``mapping`` makes of ``submission`` for ``flavour``.

    Raises MappingError, naming the rule and field, if a template fails.
    """
    defaults = mapping.defaults
    rule = select_rule(submission, mapping.rules, tables)
    context = template_context(submission, tables)
    where = "defaults" if rule is None else f"defaults (rule {rule.name!r})"

    summary = make_summary(defaults.summary.render(context, f"{where}.summary"))
    if not summary:
        raise MappingError(f"{where}.summary: renders empty")
    blocks = description_blocks(defaults.description, submission, context, where)
    description = render_description(blocks, flavour, submission.web_url)
    fields, owned = _fields(mapping, rule, context, flavour)
    due = values.due_date(submission, defaults, tables)
    if due is not None and defaults.due_date is not None:
        fields.setdefault(defaults.due_date.field, due)

    return IssueDraft(
        flavour=flavour,
        project=(rule and rule.project) or defaults.project,
        issue_type=(rule and rule.issue_type) or defaults.issue_type,
        summary=summary,
        description=description,
        priority=values.priority(submission, defaults, tables),
        labels=_labels(submission, mapping, rule, context),
        components=_components(mapping, rule, context),
        custom_fields=fields,
        create_only=values.create_only(mapping, owned),
    )


def submission_label(code: str) -> str:
    """The label that ties an issue to its submission: ``intigriti-<code>``."""
    return sanitise_label(f"intigriti-{code.lower()}")


def sanitise_label(text: str) -> str:
    """A Jira label: no whitespace (runs become ``-``) or zero-width
    characters, at most 255 UTF-16 units."""
    label = "-".join(clean_text(drop_zero_width(text)).split())
    return cut_utf16(label, LABEL_LIMIT)


def make_summary(text: str) -> str:
    """One line of at most 255 UTF-16 units without zero-width characters.

    A longer line is cut and ends with an ellipsis: on the last space if that
    keeps at least half of it, else on a character (whole emoji and flags,
    with their marks). The start, ``[CODE]`` in the shipped mappings, stays.
    """
    line = one_line(drop_zero_width(text))
    if utf16_length(line) <= SUMMARY_LIMIT:
        return line
    cut = cut_utf16(line, SUMMARY_LIMIT - utf16_length(ELLIPSIS))
    space = cut.rfind(" ")
    if space > 0 and utf16_length(cut[:space]) > SUMMARY_LIMIT // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _labels(
    submission: Submission,
    mapping: Mapping,
    rule: Rule | None,
    context: dict[str, Any],
) -> tuple[str, ...]:
    labels = [submission_label(submission.code)]
    labels += _render_all(mapping.defaults.labels, context, "defaults.labels")
    if rule is not None:
        labels += _render_all(rule.labels, context, f"rule {rule.name!r}.labels")
    labels += values.tag_labels(submission.tags, mapping.defaults)
    return _unique(sanitise_label(label) for label in labels)


def _components(
    mapping: Mapping, rule: Rule | None, context: dict[str, Any]
) -> tuple[str, ...]:
    if rule is not None and rule.components is not None:
        rendered = _render_all(
            rule.components, context, f"rule {rule.name!r}.components"
        )
    else:
        rendered = _render_all(
            mapping.defaults.components, context, "defaults.components"
        )
    return _unique(one_line(component) for component in rendered)


def _fields(
    mapping: Mapping, rule: Rule | None, context: dict[str, Any], flavour: Flavour
) -> tuple[dict[str, Any], set[str]]:
    """Field values by name (unmappable ones left out) and the Jira-owned names."""
    entries: dict[str, tuple[FieldEntry, str]] = {
        name: (entry, "defaults.fields")
        for name, entry in mapping.defaults.fields.items()
    }
    if rule is not None:
        where = f"rule {rule.name!r}.fields"
        entries |= {name: (entry, where) for name, entry in rule.fields.items()}

    fields: dict[str, Any] = {}
    owned: set[str] = set()
    for name, (entry, where) in entries.items():
        value = _field_value(entry, context, f"{where}.{name}", mapping, flavour)
        if value is not None:
            fields[name] = value
        if isinstance(entry, FieldSpec) and entry.owner == "jira":
            owned.add(name)
    return fields, owned


def _field_value(
    entry: FieldEntry,
    context: dict[str, Any],
    where: str,
    mapping: Mapping,
    flavour: Flavour,
) -> Any | None:
    if isinstance(entry, FieldSpec):
        return values.spec_value(entry, context, where, mapping, flavour)
    if isinstance(entry, Template):
        return values.rendered_value(entry.render(context, where))
    return entry


def _render_all(
    templates: Iterable[Template], context: dict[str, Any], where: str
) -> list[str]:
    return [t.render(context, f"{where}[{i}]") for i, t in enumerate(templates)]


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
