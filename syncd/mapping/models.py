"""The mapping file as typed models (see ``mappings/default.yaml``).

::

    version: 1
    defaults:          what every issue gets
      project, issue_type, summary, description (a list of sections),
      priority (severity -> Jira priority name), labels, include_tags,
      components, fields (Jira field name -> template or literal)
      priority_by_score (CVSS ranges -> priority, tried before ``priority``),
      due_date (severity -> SLA days), tag_labels (tag -> labels), owners
    rules:             tried in order; the first whose ``match`` holds wins
      - name, match {program, asset, severity, vulnerability_type, cwe, tags},
        project, issue_type, components (replace), labels (add), fields (merge)
    identity:          Intigriti user name -> Jira account (Cloud / Data Center)

A field is a template or a literal, or an object naming where its value
comes from (``text``, ``number``, ``date``, ``user``, ``map``, ``literal``)
and who owns it after creation (``owner``). A value that cannot be mapped
(empty, unknown user, unmapped key) leaves the field out of the draft, so
Jira keeps whatever a person set; a mapping never clears a field.

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
    model_validator,
)

from syncd.intigriti.enums import Severity
from syncd.mapping.status import StatusMapping
from syncd.mapping.templates import Template, normalise_cwe

ProjectKey = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,254}$")]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Label = Annotated[str, Field(pattern=r"^\S{1,255}$")]
"""A Jira label: no whitespace, at most 255 characters."""
Owner = Literal["intigriti", "jira"]
"""Who owns a field once the issue exists: ``intigriti`` keeps it in sync,
``jira`` writes it on create only and leaves it to people afterwards."""
BuiltinField = Literal["summary", "description", "priority", "labels", "components"]
RichField = Literal["poc_description", "impact", "recommended_solution", "questions"]


def _as_list(value: Any) -> Any:
    """A scalar as a one-item list; numbers (``cwe: 79``) as strings."""
    items = value if isinstance(value, list) else [value]
    return [
        str(item) if isinstance(item, int) and not isinstance(item, bool) else item
        for item in items
    ]


def _or_single(schema: dict[str, Any]) -> None:
    """JSON Schema of a list that also takes one item alone (``_as_list``)."""
    listed = dict(schema)
    schema.clear()
    schema["anyOf"] = [listed["items"], listed]


OneOrMany = Annotated[
    list[str], BeforeValidator(_as_list), Field(json_schema_extra=_or_single)
]
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
    severity: Annotated[list[Severity], Field(json_schema_extra=_or_single)] = []
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


class ValueMap(Model):
    """A template's output looked up in a table: ``{from: ..., values: {...}}``.

    Keys are compared case-insensitively; an output not in ``values`` leaves
    the field out.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    source: Template = Field(alias="from")
    values: dict[str, Any] = Field(min_length=1)


SPEC_SOURCES = ("text", "number", "date", "user", "map", "literal")


class FieldSpec(Model):
    """A field as an object: exactly one source, and its owner.

    ``text`` a template; ``number`` a template whose output is a number;
    ``date`` a template whose output is ``YYYY-MM-DD``; ``user`` a template
    whose output is an Intigriti user name, looked up in ``identity``;
    ``map`` a ``ValueMap``; ``literal`` any value, sent as written.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": [k]} for k in SPEC_SOURCES]},
    )

    text: Template | None = None
    number: Template | None = None
    date: Template | None = None
    user: Template | None = None
    map: ValueMap | None = None
    literal: Any = None
    owner: Owner = "intigriti"

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [name for name in SPEC_SOURCES if name in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(
                f"a field object needs exactly one of: {', '.join(SPEC_SOURCES)}"
            )
        return self

    @property
    def source(self) -> str:
        return next(name for name in SPEC_SOURCES if name in self.model_fields_set)


def _field_kind(value: Any) -> str:
    if isinstance(value, dict) and any(
        key in value for key in (*SPEC_SOURCES, "owner")
    ):
        return "field object"
    return "field value"


FieldEntry = Annotated[
    Annotated[FieldSpec, Tag("field object")]
    | Annotated[FieldValue, Tag("field value")],
    Discriminator(_field_kind),
]
"""A template or literal (owned by Intigriti), or a ``FieldSpec``."""


class ScoreRange(Model):
    """CVSS scores from ``min`` to ``max`` (both included) give ``priority``."""

    min: float = Field(ge=0, le=10)
    max: float = Field(default=10.0, ge=0, le=10)
    priority: Name

    @model_validator(mode="after")
    def _ordered(self) -> ScoreRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class DueDate(Model):
    """Severity -> days to fix; the due date counts from the submission's
    creation day on Intigriti (UTC), so a late sync or a replay gives the same
    date. A severity not listed sets no due date."""

    days: dict[Severity, int] = Field(min_length=1)
    field: Name = "Due date"
    """The Jira field by name: the system ``Due date`` or a date custom field."""
    owner: Owner = "intigriti"

    @field_validator("days")
    @classmethod
    def _positive(cls, days: dict[Severity, int]) -> dict[Severity, int]:
        if any(count < 0 for count in days.values()):
            raise ValueError("days must be 0 or more")
        return days


class Account(Model):
    """One person's Jira account in each flavour."""

    cloud: Name | None = None
    """The ``accountId`` on Jira Cloud."""
    datacenter: Name | None = None
    """The user ``name`` on Jira Data Center."""


class Rule(Model):
    name: Name
    match: Match
    project: ProjectKey | None = None
    issue_type: Name | None = None
    components: list[Template] | None = None
    """Replaces the default components."""
    labels: list[Template] = []
    """Added to the default labels."""
    fields: dict[Name, FieldEntry] = {}
    """Merged over the default fields."""


class Defaults(Model):
    project: ProjectKey
    issue_type: Name
    summary: Template
    description: list[Section] = Field(min_length=1)
    priority: dict[Severity, Name] = {}
    """An unmapped severity sets no priority, leaving a person's choice."""
    priority_by_score: list[ScoreRange] = []
    """Tried first when the submission has a CVSS score; the first range
    that holds wins. Without a score, or outside every range, ``priority``
    by severity applies."""
    due_date: DueDate | None = None
    labels: list[Template] = []
    tag_labels: dict[
        str,
        Annotated[
            list[Label],
            BeforeValidator(_as_list),
            Field(json_schema_extra=_or_single),
        ],
    ] = {}
    """Tag (case-insensitive) -> labels; ``[]`` drops the tag."""
    include_tags: bool = True
    """Add tags that ``tag_labels`` does not name as labels (sanitised:
    spaces become ``-``)."""
    components: list[Template] = []
    fields: dict[Name, FieldEntry] = {}
    owners: dict[BuiltinField, Owner] = {}
    """Owners of the built-in fields; each is ``intigriti`` unless named."""


class Mapping(Model):
    version: Literal[1]
    defaults: Defaults
    rules: list[Rule] = []
    identity: dict[Name, Name | Account] = {}
    """Intigriti user name (case-insensitive) -> Jira account: a string is
    used for both flavours, an ``Account`` names each."""
    status: StatusMapping | None = None
    """Status and comment sync (issue 5); none syncs no status."""

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[Rule]) -> list[Rule]:
        names = [rule.name for rule in rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        return rules
