"""Configuration of the Jira simulator: flavour, users, projects, workflows.

Everything the simulator knows about a site lives in one `JiraSimConfig`;
`defaults.default_config` builds the site the demo and the tests use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator


class Flavour(StrEnum):
    CLOUD = "cloud"
    DATA_CENTER = "datacenter"


StatusCategoryKey = Literal["new", "indeterminate", "done"]
FieldType = Literal[
    "text", "textarea", "number", "select", "multiselect", "labels", "date", "user"
]


class UserConfig(BaseModel):
    """One account; which credentials count depends on the flavour.

    Cloud authenticates `email` + `api_token` (Basic) and shows `account_id`;
    Data Center authenticates `pat` (Bearer) or `name` + `password` (Basic)
    and shows `name`/`key`.
    """

    name: str
    display_name: str
    email: str
    account_id: str
    api_token: str
    pat: str
    password: str
    time_zone: str = "UTC"


class StatusConfig(BaseModel):
    id: str
    name: str
    category: StatusCategoryKey


class ResolutionConfig(BaseModel):
    id: str
    name: str


class PriorityConfig(BaseModel):
    id: str
    name: str


class IssueTypeConfig(BaseModel):
    id: str
    name: str
    subtask: bool = False


class OptionConfig(BaseModel):
    id: str
    value: str


class CustomFieldConfig(BaseModel):
    """A custom field; its id is `customfield_NNNNN`, its name need not be unique."""

    id: str
    name: str
    type: FieldType
    options: list[OptionConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _id_shape(self) -> CustomFieldConfig:
        number = self.id.removeprefix("customfield_")
        if not self.id.startswith("customfield_") or not number.isdigit():
            raise ValueError(f"custom field id {self.id!r} is not customfield_NNNNN")
        return self


class ScreenConfig(BaseModel):
    """Fields a screen shows (so accepts) and the subset it requires."""

    fields: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)


class TransitionConfig(BaseModel):
    """A workflow transition; `sources` empty means a global transition.

    `set_resolution` models a post function that fills the resolution when
    the screen did not; `clear_resolution` one that empties it (reopening).
    """

    id: str
    name: str
    sources: list[str] = Field(default_factory=list)
    target: str
    screen: ScreenConfig = Field(default_factory=ScreenConfig)
    set_resolution: str | None = None
    clear_resolution: bool = False


class WorkflowConfig(BaseModel):
    name: str
    initial_status: str
    statuses: list[str]
    transitions: list[TransitionConfig]


class ComponentConfig(BaseModel):
    id: str
    name: str


class IssueTypeScreens(BaseModel):
    create: ScreenConfig
    edit: ScreenConfig


class ProjectConfig(BaseModel):
    id: str
    key: str
    name: str
    workflow: str
    issue_types: list[str]
    components: list[ComponentConfig] = Field(default_factory=list)
    # One pair of screens per issue type name; "*" applies to the others.
    screens: dict[str, IssueTypeScreens]

    def screens_for(self, issue_type: str) -> IssueTypeScreens:
        return self.screens.get(issue_type) or self.screens["*"]


class RateLimitConfig(BaseModel):
    """Token buckets; `None` switches a limit off (Data Center's default)."""

    burst_per_second: float | None = None
    burst_capacity: int = 10
    per_issue_writes_per_second: float | None = None
    per_issue_capacity: int = 3


class JiraSimConfig(BaseModel):
    flavour: Flavour = Flavour.CLOUD
    base_url: str = "http://jira.sim.invalid"
    version: str = ""
    bot_user: str = "syncd-bot"
    users: list[UserConfig]
    statuses: list[StatusConfig]
    resolutions: list[ResolutionConfig]
    priorities: list[PriorityConfig]
    default_priority: str = "Medium"
    issue_types: list[IssueTypeConfig]
    custom_fields: list[CustomFieldConfig]
    workflows: list[WorkflowConfig]
    projects: list[ProjectConfig]
    index_lag_ms: int = 0
    attachment_max_bytes: int = 10 * 1024 * 1024
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    webhook_url: str | None = None

    @property
    def is_cloud(self) -> bool:
        return self.flavour is Flavour.CLOUD

    @property
    def api_versions(self) -> tuple[str, ...]:
        return ("2", "3", "latest") if self.is_cloud else ("2", "latest")

    def user(self, name: str) -> UserConfig:
        return next(u for u in self.users if u.name == name)

    def workflow(self, name: str) -> WorkflowConfig:
        return next(w for w in self.workflows if w.name == name)

    def status(self, name: str) -> StatusConfig:
        return next(s for s in self.statuses if s.name == name)

    def issue_type(self, name: str) -> IssueTypeConfig:
        return next(t for t in self.issue_types if t.name == name)

    @model_validator(mode="after")
    def _references_resolve(self) -> JiraSimConfig:
        statuses = {s.name for s in self.statuses}
        types = {t.name for t in self.issue_types}
        workflows = {w.name for w in self.workflows}
        for workflow in self.workflows:
            missing = set(workflow.statuses) - statuses
            if missing or workflow.initial_status not in workflow.statuses:
                raise ValueError(f"workflow {workflow.name}: bad statuses {missing}")
        for project in self.projects:
            if project.workflow not in workflows:
                raise ValueError(f"project {project.key}: no workflow")
            if set(project.issue_types) - types:
                raise ValueError(f"project {project.key}: unknown issue type")
            if "*" not in project.screens and set(project.issue_types) - set(
                project.screens
            ):
                raise ValueError(f"project {project.key}: issue type lacks screens")
        if self.bot_user not in {u.name for u in self.users}:
            raise ValueError("bot_user is not among users")
        return self
