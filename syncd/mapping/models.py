"""The mapping file as typed models (see ``mappings/default.yaml``).

::

    version: 1
    defaults:          what every issue gets
      project, issue_type, summary, description (a list of sections),
      priority (severity -> Jira priority name), labels, include_tags,
      components, fields (Jira field name -> template or literal)
    rules:             tried in order; the first whose ``match`` holds wins
      - name, match {program, asset, severity, vulnerability_type, cwe, tags},
        project, issue_type, components (replace), labels (add), fields (merge)

Every string that is rendered per submission is a ``Template``, compiled
when the file is loaded.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)

from syncd.intigriti.enums import Severity
from syncd.mapping.templates import Template, normalise_cwe

ProjectKey = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,254}$")]
Name = Annotated[str, Field(min_length=1, max_length=255)]
RichField = Literal["poc_description", "impact", "recommended_solution", "questions"]


def _as_list(value: Any) -> Any:
    """A scalar as a one-item list; numbers (``cwe: 79``) as strings."""
    items = value if isinstance(value, list) else [value]
    return [
        str(item) if isinstance(item, int) and not isinstance(item, bool) else item
        for item in items
    ]


OneOrMany = Annotated[list[str], BeforeValidator(_as_list)]
FieldValue = Template | int | float | bool | list[Any] | dict[str, Any] | None


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HeadingSection(Model):
    """A heading written by the mapping: ``- heading: Details``."""

    heading: Template
    level: int = Field(default=2, ge=1, le=6)


class TextSection(Model):
    """Plain text from a template; blank lines part paragraphs."""

    text: Template


class Fact(Model):
    label: Name
    value: Template


class FactsSection(Model):
    """A list of ``label: value`` lines; a fact whose value is empty is left out.

    A value that is a whole http(s) URL becomes a link.
    """

    facts: list[Fact] = Field(min_length=1)


class FieldSection(Model):
    """A researcher field, rendered by the safe renderer, under a heading.

    Left out, heading and all, when the submission has nothing in it.
    """

    field: RichField
    heading: Template | None = None
    level: int = Field(default=2, ge=1, le=6)


def _section_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for kind in ("field", "facts", "text", "heading"):
            if kind in value:
                return f"{kind} section"
    return None


Section = Annotated[
    Annotated[FieldSection, Tag("field section")]
    | Annotated[FactsSection, Tag("facts section")]
    | Annotated[TextSection, Tag("text section")]
    | Annotated[HeadingSection, Tag("heading section")],
    Discriminator(
        _section_kind,
        custom_error_type="section_kind",
        custom_error_message="a section needs one of: heading, text, facts, field",
    ),
]


class Match(Model):
    """Conditions of a rule: all given ones must hold, each by any value."""

    program: OneOrMany = []
    """Program handles or ids."""
    asset: OneOrMany = []
    """Shell-style globs on the asset name, case-insensitive: ``*.example``."""
    severity: list[Severity] = []
    vulnerability_type: OneOrMany = []
    """Globs on the vulnerability type name, case-insensitive."""
    cwe: OneOrMany = []
    tags: OneOrMany = []
    """Any of these tags, case-insensitive."""

    @field_validator("severity", mode="before")
    @classmethod
    def _one_severity(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("cwe")
    @classmethod
    def _normalise_cwe(cls, value: list[str]) -> list[str]:
        return [normalise_cwe(cwe) or "" for cwe in value]


class Rule(Model):
    name: Name
    match: Match
    project: ProjectKey | None = None
    issue_type: Name | None = None
    components: list[Template] | None = None
    """Replaces the default components."""
    labels: list[Template] = []
    """Added to the default labels."""
    fields: dict[Name, FieldValue] = {}
    """Merged over the default fields."""


class Defaults(Model):
    project: ProjectKey
    issue_type: Name
    summary: Template
    description: list[Section] = Field(min_length=1)
    priority: dict[Severity, Name] = {}
    """An unmapped severity sets no priority, leaving a person's choice."""
    labels: list[Template] = []
    include_tags: bool = True
    """Add the submission's tags as labels (spaces become ``-``)."""
    components: list[Template] = []
    fields: dict[Name, FieldValue] = {}


class Mapping(Model):
    version: Literal[1]
    defaults: Defaults
    rules: list[Rule] = []

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[Rule]) -> list[Rule]:
        names = [rule.name for rule in rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        return rules
