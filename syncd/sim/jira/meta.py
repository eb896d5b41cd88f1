"""Screens: which fields a create, edit or transition screen accepts.

Also renders the metadata endpoints (createmeta per project and issue type,
editmeta, `transitions.fields`) from the same screen definitions, so what
the metadata promises is exactly what validation enforces.
"""

from __future__ import annotations

from typing import Any

from syncd.sim.jira import fields, render
from syncd.sim.jira.config import ProjectConfig, ScreenConfig
from syncd.sim.jira.errors import JiraApiError, bad_request, not_on_screen
from syncd.sim.jira.render import Ctx

_REQUIRED_MESSAGES = {
    "summary": "You must specify a summary of the issue.",
    "issuetype": "Specify an issue type",
    "project": "Specify a valid project ID or key",
}


def check_on_screen(given: list[str], screen: ScreenConfig) -> None:
    """A field the screen does not show cannot be set: 400 naming the first."""
    for field_id in given:
        if field_id not in screen.fields:
            raise not_on_screen(field_id)


def check_required(ctx: Ctx, present: dict[str, Any], screen: ScreenConfig) -> None:
    errors: dict[str, str] = {}
    for field_id in screen.required:
        value = present.get(field_id)
        if value is None or value == [] or value == "":
            default = f"{fields.name_of(ctx, field_id)} is required."
            errors[field_id] = _REQUIRED_MESSAGES.get(field_id, default)
    if errors:
        raise JiraApiError(400, errors=errors)


def _allowed_values(
    ctx: Ctx, project: ProjectConfig, field_id: str
) -> list[dict[str, Any]] | None:
    if field_id == "priority":
        return [render.priority(ctx, p.name) or {} for p in ctx.config.priorities]
    if field_id == "resolution":
        return [render.resolution(ctx, r.name) or {} for r in ctx.config.resolutions]
    if field_id == "components":
        return [
            render.named(ctx, "component", c.id, c.name) for c in project.components
        ]
    if field_id == "issuetype":
        return [render.issue_type(ctx, t) for t in project.issue_types]
    if field_id == "project":
        return [render.project(ctx, project.key)]
    if field_id.startswith("customfield_"):
        custom = fields.custom_field(ctx, field_id)
        if custom.options:
            return [
                {
                    "self": f"{ctx.api}/customFieldOption/{o.id}",
                    "id": o.id,
                    "value": o.value,
                }
                for o in custom.options
            ]
    return None


def _operations(field_id: str) -> list[str]:
    if field_id in ("labels", "components") or field_id.endswith("10107"):
        return ["add", "set", "remove"]
    if field_id == "comment":
        return ["add", "edit", "remove"]
    return ["set"]


def field_entry(
    ctx: Ctx, project: ProjectConfig, field_id: str, screen: ScreenConfig
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "required": field_id in screen.required,
        "schema": fields.schema(ctx, field_id),
        "name": fields.name_of(ctx, field_id),
        "key": field_id,
        "fieldId": field_id,
        "hasDefaultValue": field_id == "priority",
        "operations": _operations(field_id),
    }
    allowed = _allowed_values(ctx, project, field_id)
    if allowed is not None:
        entry["allowedValues"] = allowed
    return entry


def screen_fields(
    ctx: Ctx, project: ProjectConfig, screen: ScreenConfig
) -> list[dict[str, Any]]:
    return [field_entry(ctx, project, f, screen) for f in screen.fields]


def page(
    ctx: Ctx, items: list[dict[str, Any]], cloud_key: str, start: int, size: int
) -> dict[str, Any]:
    """Createmeta paging: Cloud names the list, Data Center calls it `values`."""
    chosen = items[start : start + size]
    key = cloud_key if ctx.config.is_cloud else "values"
    return {
        "maxResults": size,
        "startAt": start,
        "total": len(items),
        "isLast": start + size >= len(items),
        key: chosen,
    }


def project_by_ref(ctx: Ctx, ref: str) -> ProjectConfig:
    for project in ctx.config.projects:
        if ref in (project.key, project.id):
            return project
    raise JiraApiError(404, [f"No project could be found with key '{ref}'."])


def issue_type_ref(ctx: Ctx, project: ProjectConfig, value: Any) -> str:
    """Resolve `{"id"}`/`{"name"}` to an issue type name valid in `project`."""
    choices = [(ctx.config.issue_type(t).id, t) for t in project.issue_types]
    message = "The issue type selected is invalid."
    if not isinstance(value, dict):
        raise bad_request("issuetype", "Specify an issue type")
    ident, name = value.get("id"), value.get("name")
    for choice in choices:
        if (ident is not None and str(ident) == choice[0]) or (
            ident is None and name == choice[1]
        ):
            return choice[1]
    raise bad_request("issuetype", message)
