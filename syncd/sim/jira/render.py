"""JSON shapes of Jira entities, as the requesting flavour and version show them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from syncd.sim.jira import adf
from syncd.sim.jira.config import JiraSimConfig, StatusConfig, UserConfig
from syncd.sim.jira.model import Comment, Issue, jira_time

CATEGORIES: dict[str, dict[str, Any]] = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}


@dataclass(frozen=True)
class Ctx:
    """Who asks, through which API version, and the base URL for `self` links."""

    config: JiraSimConfig
    version: str
    base: str
    user: UserConfig

    @property
    def api(self) -> str:
        return f"{self.base}/rest/api/{self.version}"


def category(ctx: Ctx, key: str) -> dict[str, Any]:
    body = dict(CATEGORIES[key])
    body["self"] = f"{ctx.api}/statuscategory/{body['id']}"
    return body


def status(ctx: Ctx, config: StatusConfig) -> dict[str, Any]:
    return {
        "self": f"{ctx.api}/status/{config.id}",
        "id": config.id,
        "name": config.name,
        "description": "",
        "statusCategory": category(ctx, config.category),
    }


def user(ctx: Ctx, account: UserConfig) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": account.display_name,
        "active": True,
        "timeZone": account.time_zone,
    }
    if ctx.config.is_cloud:
        body["self"] = f"{ctx.api}/user?accountId={account.account_id}"
        body["accountId"] = account.account_id
        body["accountType"] = "atlassian"
    else:
        body["self"] = f"{ctx.api}/user?username={account.name}"
        body["name"] = account.name
        body["key"] = account.name
        body["emailAddress"] = account.email
    return body


def user_by_name(ctx: Ctx, name: str | None) -> dict[str, Any] | None:
    return None if name is None else user(ctx, ctx.config.user(name))


def named(ctx: Ctx, kind: str, ident: str, name: str) -> dict[str, Any]:
    return {"self": f"{ctx.api}/{kind}/{ident}", "id": ident, "name": name}


def issue_type(ctx: Ctx, name: str) -> dict[str, Any]:
    config = ctx.config.issue_type(name)
    body = named(ctx, "issuetype", config.id, name)
    body.update(description="", subtask=config.subtask, hierarchyLevel=0)
    return body


def project(ctx: Ctx, key: str) -> dict[str, Any]:
    config = next(p for p in ctx.config.projects if p.key == key)
    body = named(ctx, "project", config.id, config.name)
    body["key"] = key
    return body


def priority(ctx: Ctx, name: str | None) -> dict[str, Any] | None:
    found = [p for p in ctx.config.priorities if p.name == name]
    return named(ctx, "priority", found[0].id, found[0].name) if found else None


def resolution(ctx: Ctx, name: str | None) -> dict[str, Any] | None:
    found = [r for r in ctx.config.resolutions if r.name == name]
    return named(ctx, "resolution", found[0].id, found[0].name) if found else None


def comment(ctx: Ctx, issue: Issue, item: Comment) -> dict[str, Any]:
    author = user_by_name(ctx, item.author)
    body: dict[str, Any] = {
        "self": f"{ctx.api}/issue/{issue.id}/comment/{item.id}",
        "id": item.id,
        "author": author,
        "updateAuthor": author,
        "body": adf.render(item.body, ctx.version),
        "created": jira_time(item.created),
        "updated": jira_time(item.created),
    }
    if item.visibility is not None:
        body["visibility"] = item.visibility
    return body


def issue_link(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    return {
        "id": str(issue.id),
        "key": issue.key,
        "self": f"{ctx.api}/issue/{issue.id}",
    }


def _custom_value(ctx: Ctx, kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("select", "multiselect"):
        options = value if kind == "multiselect" else [value]
        shown = [
            {"self": f"{ctx.api}/customFieldOption/{o['id']}", **o} for o in options
        ]
        return shown if kind == "multiselect" else shown[0]
    if kind == "user":
        return user_by_name(ctx, value)
    if kind == "textarea":
        return adf.render(value, ctx.version)
    return value


def all_fields(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    """Every field of `issue`, as GET /issue shows them."""
    stored = issue.fields
    project_config = next(p for p in ctx.config.projects if p.key == issue.project_key)
    components = {c.name: c.id for c in project_config.components}
    body: dict[str, Any] = {
        "summary": stored.get("summary"),
        "description": adf.render(stored.get("description"), ctx.version),
        "issuetype": issue_type(ctx, issue.issue_type),
        "project": project(ctx, issue.project_key),
        "status": status(ctx, ctx.config.status(issue.status)),
        "priority": priority(ctx, stored.get("priority")),
        "labels": list(stored.get("labels", [])),
        "components": [
            named(ctx, "component", components[name], name)
            for name in stored.get("components", [])
        ],
        "resolution": resolution(ctx, issue.resolution),
        "resolutiondate": jira_time(issue.resolution_date)
        if issue.resolution_date
        else None,
        "assignee": user_by_name(ctx, stored.get("assignee")),
        "reporter": user_by_name(ctx, issue.reporter),
        "creator": user_by_name(ctx, issue.reporter),
        "created": jira_time(issue.created),
        "updated": jira_time(issue.updated),
        "comment": {
            "comments": [comment(ctx, issue, c) for c in issue.comments],
            "maxResults": len(issue.comments),
            "total": len(issue.comments),
            "startAt": 0,
        },
        "attachment": [attachment(ctx, issue, a.id) for a in issue.attachments],
    }
    for custom in ctx.config.custom_fields:
        body[custom.id] = _custom_value(ctx, custom.type, stored.get(custom.id))
    return body


def attachment(ctx: Ctx, issue: Issue, attachment_id: str) -> dict[str, Any]:
    item = next(a for a in issue.attachments if a.id == attachment_id)
    return {
        "self": f"{ctx.api}/attachment/{item.id}",
        "id": item.id,
        "filename": item.filename,
        "author": user_by_name(ctx, item.author),
        "created": jira_time(item.created),
        "size": item.size,
        "mimeType": item.mime_type,
        "content": f"{ctx.base}/secure/attachment/{item.id}/{item.filename}",
    }


NAVIGABLE_EXCLUDED = {"comment", "attachment"}


def select_fields(
    every: dict[str, Any], wanted: Iterable[str] | None, default: str
) -> dict[str, Any]:
    """Apply a `fields` parameter: ids, `*all`, `*navigable`, `-id` exclusions."""
    names = [w.strip() for w in (wanted or [default]) for w in w.split(",")]
    names = [n for n in names if n]
    chosen: set[str] = set()
    for name in names:
        if name == "*all":
            chosen |= set(every)
        elif name == "*navigable":
            chosen |= set(every) - NAVIGABLE_EXCLUDED
        elif not name.startswith("-") and name in every:
            chosen.add(name)
    chosen -= {n[1:] for n in names if n.startswith("-")}
    return {k: v for k, v in every.items() if k in chosen}


def issue(
    ctx: Ctx, item: Issue, wanted: Iterable[str] | None = None, default: str = "*all"
) -> dict[str, Any]:
    body = issue_link(ctx, item)
    body["expand"] = "renderedFields,names,schema,operations,editmeta,changelog"
    body["fields"] = select_fields(all_fields(ctx, item), wanted, default)
    return body
