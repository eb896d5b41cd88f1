"""The ``status:`` section of a mapping: how states and messages cross over.

::

    status:
      owner: newest            # who wins when both sides changed: newest,
                               # intigriti or jira
      to_jira:                 # Intigriti state -> Jira target, first match wins
        - when: {status: closed, close_reason: duplicate}
          jira: {category: done, resolution: Duplicate}
      to_intigriti:            # Jira status -> Intigriti state, first match wins
        - when: {category: done, resolution: Duplicate}
          intigriti: {status: closed, close_reason: duplicate}
      projects:                # per Jira project, replaces to_jira
        APPSEC: {to_jira: [...]}
      default_resolution: Done # fills a required resolution on the way
      duplicate: {link_type: Duplicate, label_prefix: duplicate-of-}
      comments: {external: true, internal: true, internal_visibility: ...,
                 from_jira: {prefix: "#intigriti"}}

A Jira target names a status or a status category, never a transition:
workflows name their transitions freely. Pure data and pure functions, no I/O.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from syncd.intigriti.enums import CloseReason, SubmissionStatus

Category = Literal["new", "indeterminate", "done"]
Name = Annotated[str, Field(min_length=1, max_length=255)]


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


Names = Annotated[list[Name], BeforeValidator(_as_list)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IntigritiState(Model):
    """A submission's status and, when closed, its close reason."""

    status: SubmissionStatus
    close_reason: CloseReason | None = None

    @model_validator(mode="after")
    def _reason_only_when_closed(self) -> IntigritiState:
        closed = self.status in (SubmissionStatus.CLOSED, SubmissionStatus.ARCHIVED)
        if self.close_reason is not None and not closed:
            raise ValueError("close_reason needs status closed")
        return self

    def key(self) -> str:
        return f"{self.status}/{self.close_reason or ''}"


class JiraStatus(Model):
    """A Jira status as read from an issue."""

    name: str
    category: str
    resolution: str | None = None


class JiraTarget(Model):
    """Where an issue should be: a status by name, or any of a category."""

    status: Name | None = None
    category: Category | None = None
    resolution: Name | None = None
    """Sent when a transition's screen takes a resolution."""

    @model_validator(mode="after")
    def _one_target(self) -> JiraTarget:
        if (self.status is None) == (self.category is None):
            raise ValueError("give exactly one of status, category")
        return self

    def reached_by(self, status: str, category: str) -> bool:
        if self.status is not None:
            return status.casefold() == self.status.casefold()
        return category == self.category

    def describe(self) -> str:
        return f"status {self.status!r}" if self.status else f"category {self.category}"


class IntigritiMatch(Model):
    status: list[SubmissionStatus] = []
    close_reason: list[CloseReason] = []

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: _as_list(item) for key, item in value.items()}
        return value

    def holds(self, state: IntigritiState) -> bool:
        return (not self.status or state.status in self.status) and (
            not self.close_reason or state.close_reason in self.close_reason
        )


class JiraMatch(Model):
    status: Names = []
    category: list[Category] = []
    resolution: Names = []

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: _as_list(item) for key, item in value.items()}
        return value

    def holds(self, jira: JiraStatus) -> bool:
        names = {name.casefold() for name in self.status}
        resolutions = {name.casefold() for name in self.resolution}
        return (
            (not names or jira.name.casefold() in names)
            and (not self.category or jira.category in self.category)
            and (not resolutions or (jira.resolution or "").casefold() in resolutions)
        )


class ToJira(Model):
    when: IntigritiMatch
    jira: JiraTarget


class ToIntigriti(Model):
    when: JiraMatch
    intigriti: IntigritiState


class ProjectStatus(Model):
    to_jira: list[ToJira] = Field(min_length=1)


class DuplicateConvention(Model):
    """How Jira says "duplicate of": an issue link, or a label naming the key."""

    link_type: Name | None = "Duplicate"
    label_prefix: Name | None = "duplicate-of-"


class Visibility(Model):
    type: Literal["role", "group"]
    value: Name


class FromJira(Model):
    """Which Jira comments become Intigriti internal comments."""

    prefix: Name | None = None
    visibility: list[Name] = []
    """Role or group names; a comment restricted to one of them is carried."""


class CommentMapping(Model):
    external: bool = True
    internal: bool = False
    internal_visibility: Visibility | None = None
    from_jira: FromJira | None = None
    history: bool = True
    """Carry the messages placed before the Jira issue existed too; false
    carries only those placed from the moment it was linked."""


class StatusMapping(Model):
    owner: Literal["newest", "intigriti", "jira"] = "newest"
    to_jira: list[ToJira] = Field(min_length=1)
    to_intigriti: list[ToIntigriti] = Field(min_length=1)
    projects: dict[Name, ProjectStatus] = {}
    default_resolution: Name | None = None
    duplicate: DuplicateConvention = DuplicateConvention()
    comments: CommentMapping = CommentMapping()

    def jira_target(self, state: IntigritiState, project: str) -> JiraTarget | None:
        """Where the issue belongs for this state, or None if unmapped."""
        rules = self.projects[project].to_jira if project in self.projects else None
        for rule in rules or self.to_jira:
            if rule.when.holds(state):
                return rule.jira
        return None

    def intigriti_state(self, jira: JiraStatus) -> IntigritiState | None:
        for rule in self.to_intigriti:
            if rule.when.holds(jira):
                return rule.intigriti
        return None

    def agree(self, state: IntigritiState, jira: JiraStatus, project: str) -> bool:
        """Whether both sides already say the same thing (resolution aside)."""
        target = self.jira_target(state, project)
        return target is None or target.reached_by(jira.name, jira.category)
