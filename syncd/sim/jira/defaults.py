"""The site the demo and the tests run against.

Projects: SEC (simple workflow, Bug/Task), APPSEC (security workflow whose
transition names differ from status names, issue type Vulnerability, a
required "Affected Asset") and MOBILE (simple workflow). A field called
"Severity" exists twice (SEC and APPSEC) with different ids on purpose.
"""

from __future__ import annotations

from syncd.sim.jira.config import (
    ComponentConfig,
    CustomFieldConfig,
    Flavour,
    IssueTypeConfig,
    IssueTypeScreens,
    JiraSimConfig,
    OptionConfig,
    PriorityConfig,
    ProjectConfig,
    ResolutionConfig,
    ScreenConfig,
    StatusConfig,
    TransitionConfig,
    UserConfig,
    WorkflowConfig,
)

CVSS_SCORE = "customfield_10100"
INTIGRITI_SEVERITY = "customfield_10101"
SUBMISSION_CODE = "customfield_10102"
AFFECTED_ASSET = "customfield_10103"
DISCLOSURE_DATE = "customfield_10104"
SECURITY_CHAMPION = "customfield_10105"
AFFECTED_PLATFORMS = "customfield_10106"
WEAKNESS_TAGS = "customfield_10107"
SEC_SEVERITY = "customfield_10200"
APPSEC_SEVERITY = "customfield_10201"

BOT = UserConfig(
    name="syncd-bot",
    display_name="syncd bot",
    email="syncd-bot@example.com",
    account_id="5b10a2844c20165700ede21g",
    api_token="bot-api-token",  # noqa: S106 - fixed credentials of a local simulator
    pat="bot-personal-access-token",
    password="bot-password",  # noqa: S106 - fixed credentials of a local simulator
    time_zone="Europe/Brussels",
)
ALICE = UserConfig(
    name="alice",
    display_name="Alice Analyst",
    email="alice@example.com",
    account_id="5b10ac8d82e05b22cc7d4ef5",
    api_token="alice-api-token",  # noqa: S106 - fixed credentials of a local simulator
    pat="alice-personal-access-token",
    password="alice-password",  # noqa: S106 - fixed credentials of a local simulator
    time_zone="America/New_York",
)


def _options(prefix: int, values: list[str]) -> list[OptionConfig]:
    return [OptionConfig(id=str(prefix + i), value=v) for i, v in enumerate(values)]


CUSTOM_FIELDS = [
    CustomFieldConfig(id=CVSS_SCORE, name="CVSS Score", type="number"),
    CustomFieldConfig(
        id=INTIGRITI_SEVERITY,
        name="Intigriti Severity",
        type="select",
        options=_options(10300, ["Low", "Medium", "High", "Critical", "Exceptional"]),
    ),
    CustomFieldConfig(id=SUBMISSION_CODE, name="Submission Code", type="text"),
    CustomFieldConfig(id=AFFECTED_ASSET, name="Affected Asset", type="text"),
    CustomFieldConfig(id=DISCLOSURE_DATE, name="Disclosure Date", type="date"),
    CustomFieldConfig(id=SECURITY_CHAMPION, name="Security Champion", type="user"),
    CustomFieldConfig(
        id=AFFECTED_PLATFORMS,
        name="Affected Platforms",
        type="multiselect",
        options=_options(10310, ["Web", "iOS", "Android"]),
    ),
    CustomFieldConfig(id=WEAKNESS_TAGS, name="Weakness Tags", type="labels"),
    CustomFieldConfig(
        id=SEC_SEVERITY,
        name="Severity",
        type="select",
        options=_options(10320, ["S1", "S2", "S3", "S4"]),
    ),
    CustomFieldConfig(
        id=APPSEC_SEVERITY,
        name="Severity",
        type="select",
        options=_options(10330, ["Low", "Medium", "High", "Critical"]),
    ),
]

STATUSES = [
    StatusConfig(id="10000", name="To Do", category="new"),
    StatusConfig(id="3", name="In Progress", category="indeterminate"),
    StatusConfig(id="10001", name="Done", category="done"),
    StatusConfig(id="1", name="Open", category="new"),
    StatusConfig(id="10002", name="Triaging", category="indeterminate"),
    StatusConfig(id="10003", name="Fixing", category="indeterminate"),
    StatusConfig(id="10004", name="Verifying", category="indeterminate"),
]

_RESOLUTION_SCREEN = ScreenConfig(fields=["resolution"])
_RESOLUTION_REQUIRED = ScreenConfig(fields=["resolution"], required=["resolution"])

SIMPLE_WORKFLOW = WorkflowConfig(
    name="Simple Workflow",
    initial_status="To Do",
    statuses=["To Do", "In Progress", "Done"],
    transitions=[
        TransitionConfig(
            id="11", name="Start Progress", sources=["To Do"], target="In Progress"
        ),
        TransitionConfig(
            id="21",
            name="Done",
            sources=["To Do", "In Progress"],
            target="Done",
            screen=_RESOLUTION_SCREEN,
        ),
        TransitionConfig(
            id="31", name="Stop Progress", sources=["In Progress"], target="To Do"
        ),
        # Reopening here keeps the resolution: Jira leaves it unless told to.
        TransitionConfig(id="41", name="Reopen", sources=["Done"], target="To Do"),
    ],
)

SECURITY_WORKFLOW = WorkflowConfig(
    name="Security Workflow",
    initial_status="Open",
    statuses=["Open", "Triaging", "Fixing", "Verifying", "Done"],
    transitions=[
        TransitionConfig(
            id="11", name="Start triage", sources=["Open"], target="Triaging"
        ),
        TransitionConfig(id="21", name="Accept", sources=["Triaging"], target="Fixing"),
        TransitionConfig(
            id="31", name="Fix deployed", sources=["Fixing"], target="Verifying"
        ),
        TransitionConfig(
            id="41",
            name="Resolve as duplicate",
            sources=["Triaging"],
            target="Done",
            screen=_RESOLUTION_REQUIRED,
        ),
        TransitionConfig(
            id="51",
            name="Close",
            sources=["Verifying"],
            target="Done",
            set_resolution="Done",
        ),
        TransitionConfig(
            id="61",
            name="Won't fix",
            sources=["Triaging", "Fixing"],
            target="Done",
            screen=ScreenConfig(
                fields=["resolution", "comment"], required=["resolution"]
            ),
        ),
        TransitionConfig(
            id="71",
            name="Reopen",
            sources=["Done"],
            target="Open",
            clear_resolution=True,
        ),
    ],
)

_COMMON = ["summary", "description", "issuetype", "project", "priority", "labels"]
_SEC_FIELDS = [
    *_COMMON,
    "components",
    "assignee",
    "reporter",
    CVSS_SCORE,
    INTIGRITI_SEVERITY,
    SUBMISSION_CODE,
    SEC_SEVERITY,
]
_APPSEC_FIELDS = [
    *_COMMON,
    "assignee",
    CVSS_SCORE,
    INTIGRITI_SEVERITY,
    SUBMISSION_CODE,
    AFFECTED_ASSET,
    DISCLOSURE_DATE,
    SECURITY_CHAMPION,
    AFFECTED_PLATFORMS,
    WEAKNESS_TAGS,
    APPSEC_SEVERITY,
]
_MOBILE_FIELDS = [*_COMMON, "components", "assignee"]


def _screens(fields: list[str], required: list[str]) -> IssueTypeScreens:
    create = ScreenConfig(fields=fields, required=["summary", *required])
    edit_fields = [f for f in fields if f not in ("project", "reporter")]
    return IssueTypeScreens(
        create=create, edit=ScreenConfig(fields=[*edit_fields, "comment"])
    )


def _components(names: list[str], first_id: int) -> list[ComponentConfig]:
    return [ComponentConfig(id=str(first_id + i), name=n) for i, n in enumerate(names)]


PROJECTS = [
    ProjectConfig(
        id="10000",
        key="SEC",
        name="Security",
        workflow=SIMPLE_WORKFLOW.name,
        issue_types=["Bug", "Task"],
        components=_components(["Web", "API", "Mobile"], 10000),
        screens={"*": _screens(_SEC_FIELDS, [])},
    ),
    ProjectConfig(
        id="10001",
        key="APPSEC",
        name="Application Security",
        workflow=SECURITY_WORKFLOW.name,
        issue_types=["Vulnerability"],
        screens={"*": _screens(_APPSEC_FIELDS, [AFFECTED_ASSET])},
    ),
    ProjectConfig(
        id="10002",
        key="MOBILE",
        name="Mobile",
        workflow=SIMPLE_WORKFLOW.name,
        issue_types=["Bug", "Task"],
        components=_components(["iOS", "Android"], 10010),
        screens={"*": _screens(_MOBILE_FIELDS, [])},
    ),
]


def default_config(flavour: Flavour | str = Flavour.CLOUD) -> JiraSimConfig:
    """Return a fresh default site of the given flavour."""
    return JiraSimConfig(
        flavour=Flavour(flavour),
        users=[BOT, ALICE],
        statuses=STATUSES,
        resolutions=[
            ResolutionConfig(id="10000", name="Done"),
            ResolutionConfig(id="10001", name="Won't Do"),
            ResolutionConfig(id="10002", name="Duplicate"),
            ResolutionConfig(id="10003", name="Cannot Reproduce"),
        ],
        priorities=[
            PriorityConfig(id=str(i), name=n)
            for i, n in enumerate(["Highest", "High", "Medium", "Low", "Lowest"], 1)
        ],
        issue_types=[
            IssueTypeConfig(id="10002", name="Task"),
            IssueTypeConfig(id="10004", name="Bug"),
            IssueTypeConfig(id="10005", name="Vulnerability"),
        ],
        custom_fields=CUSTOM_FIELDS,
        workflows=[SIMPLE_WORKFLOW, SECURITY_WORKFLOW],
        projects=PROJECTS,
    )
