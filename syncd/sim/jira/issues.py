"""Issue writes: create, edit and transition, with Jira's screen rules.

Mixed into `JiraSimStore`; every method runs under the store's lock and
raises `JiraApiError` for what Jira would refuse.
"""

from __future__ import annotations

from typing import Any

from syncd.sim.jira import adf, fields, meta, workflow
from syncd.sim.jira.config import JiraSimConfig, ProjectConfig, ScreenConfig
from syncd.sim.jira.errors import JiraApiError, bad_request
from syncd.sim.jira.model import Comment, Issue, now
from syncd.sim.jira.render import Ctx

_LIST_OPERATIONS = ("add", "remove", "set")


def display(value: Any) -> str | None:
    """The `fromString`/`toString` of a stored value in a changelog item."""
    if value is None or value == []:
        return None
    if isinstance(value, dict):
        return (
            str(value.get("value", value)) if "value" in value else adf.to_text(value)
        )
    if isinstance(value, list):
        return " ".join(display(v) or "" for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class IssueWrites:
    """Create/edit/transition; the state itself lives in `JiraSimStore`."""

    config: JiraSimConfig
    issues: dict[int, Issue]

    def _find(self, ref: str) -> Issue:
        raise NotImplementedError

    def _project(self, key: str) -> ProjectConfig:
        return next(p for p in self.config.projects if p.key == key)

    def _allocate(self, project: ProjectConfig) -> tuple[int, int]:
        raise NotImplementedError

    def _touched(self, issue: Issue, ctx: Ctx, items: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _new_comment(self, ctx: Ctx, issue: Issue, body: dict[str, Any]) -> Comment:
        raise NotImplementedError

    def _created(self, issue: Issue, ctx: Ctx) -> None:
        raise NotImplementedError

    def create_issue(self, ctx: Ctx, body: dict[str, Any]) -> dict[str, str]:
        """`POST /issue`: answer `{id, key, self}` only, as Jira does."""
        given = body.get("fields")
        if not isinstance(given, dict):
            raise bad_request(None, "Request body must carry 'fields'.")
        project = self._create_project(ctx, given.get("project"))
        issue_type = meta.issue_type_ref(ctx, project, given.get("issuetype"))
        screen = project.screens_for(issue_type).create
        update = _update_of(body)
        meta.check_on_screen([*given, *update], screen)

        stored = self._coerce_all(ctx, project, given, {"project", "issuetype"})
        if "priority" in screen.fields and stored.get("priority") is None:
            stored["priority"] = self.config.default_priority
        comments = _apply_update(ctx, project, stored, update)
        meta.check_required(ctx, {**stored, "issuetype": issue_type}, screen)
        properties = _properties_of(body)

        issue_id, number = self._allocate(project)
        moment = now()
        issue = Issue(
            id=issue_id,
            project_key=project.key,
            number=number,
            issue_type=issue_type,
            status=self.config.workflow(project.workflow).initial_status,
            reporter=stored.pop("reporter", None) or ctx.user.name,
            created=moment,
            updated=moment,
            fields=stored,
            properties=properties,
        )
        self.issues[issue.id] = issue
        for comment_body in comments:
            issue.comments.append(self._new_comment(ctx, issue, comment_body))
        self._created(issue, ctx)
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{ctx.api}/issue/{issue.id}",
        }

    def _create_project(self, ctx: Ctx, value: Any) -> ProjectConfig:
        if not isinstance(value, dict) or not (value.get("id") or value.get("key")):
            raise bad_request("project", "Specify a valid project ID or key")
        ref = str(value.get("id") or value.get("key"))
        try:
            return meta.project_by_ref(ctx, ref)
        except JiraApiError as error:
            raise bad_request("project", "Specify a valid project ID or key") from error

    def _coerce_all(
        self, ctx: Ctx, project: ProjectConfig, given: dict[str, Any], skip: set[str]
    ) -> dict[str, Any]:
        return {
            field_id: fields.coerce(ctx, project, field_id, value)
            for field_id, value in given.items()
            if field_id not in skip
        }

    def edit_issue(self, ctx: Ctx, ref: str, body: dict[str, Any]) -> None:
        """`PUT /issue/{id}`: `fields` and `update`, checked against the edit screen."""
        issue = self._find(ref)
        project = self._project(issue.project_key)
        screen = project.screens_for(issue.issue_type).edit
        given = body.get("fields") or {}
        update = _update_of(body)
        meta.check_on_screen([*given, *update], screen)
        for field_id in set(given) & set(update):
            message = f"Field '{field_id}' cannot be set in both fields and update."
            raise bad_request(field_id, message)

        stored = dict(issue.fields)
        new_type = issue.issue_type
        if "issuetype" in given:
            new_type = meta.issue_type_ref(ctx, project, given["issuetype"])
        stored.update(self._coerce_all(ctx, project, given, {"issuetype"}))
        comments = _apply_update(ctx, project, stored, update)
        _check_not_emptied(ctx, stored, screen, project, new_type)

        items = _changes(issue.fields, stored)
        if new_type != issue.issue_type:
            items.append(_item("issuetype", issue.issue_type, new_type))
        issue.fields, issue.issue_type = stored, new_type
        for comment_body in comments:
            issue.comments.append(self._new_comment(ctx, issue, comment_body))
        self._touched(issue, ctx, items)

    def transition_issue(self, ctx: Ctx, ref: str, body: dict[str, Any]) -> None:
        """`POST /issue/{id}/transitions`: only from the current status."""
        issue = self._find(ref)
        project = self._project(issue.project_key)
        flow = self.config.workflow(project.workflow)
        wanted = body.get("transition")
        if not isinstance(wanted, dict) or "id" not in wanted:
            raise bad_request(None, "Missing 'transition' identifier")
        transition = workflow.find(flow, issue.status, wanted["id"])
        given = body.get("fields") or {}
        update = _update_of(body)
        meta.check_on_screen([*given, *update], transition.screen)

        stored = dict(issue.fields)
        coerced = self._coerce_all(ctx, project, given, set())
        resolution = coerced.pop("resolution", None)
        stored.update(coerced)
        comments = _apply_update(ctx, project, stored, update)
        meta.check_required(
            ctx, {**stored, "resolution": resolution}, transition.screen
        )

        items = _changes(issue.fields, stored)
        items.append(_item("status", issue.status, transition.target))
        old_resolution = issue.resolution
        if transition.clear_resolution:
            issue.resolution, issue.resolution_date = None, None
        new_resolution = resolution or transition.set_resolution
        if new_resolution is not None:
            issue.resolution, issue.resolution_date = new_resolution, now()
        if issue.resolution != old_resolution:
            items.append(_item("resolution", old_resolution, issue.resolution))
        issue.status, issue.fields = transition.target, stored
        for comment_body in comments:
            issue.comments.append(self._new_comment(ctx, issue, comment_body))
        self._touched(issue, ctx, items)


def _item(field: str, before: Any, after: Any) -> dict[str, Any]:
    return {
        "field": field,
        "fieldtype": "custom" if field.startswith("customfield_") else "jira",
        "fieldId": field,
        "from": None,
        "fromString": display(before),
        "to": None,
        "toString": display(after),
    }


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _item(k, before.get(k), after.get(k))
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]


def _update_of(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    update = body.get("update") or {}
    if not isinstance(update, dict) or not all(
        isinstance(ops, list) and all(isinstance(o, dict) for o in ops)
        for ops in update.values()
    ):
        raise bad_request(None, "'update' must map fields to lists of operations.")
    return update


def _properties_of(body: dict[str, Any]) -> dict[str, Any]:
    given = body.get("properties") or []
    if not isinstance(given, list) or not all(
        isinstance(p, dict) and isinstance(p.get("key"), str) for p in given
    ):
        raise bad_request(None, "'properties' must be a list of {key, value}.")
    return {p["key"]: p.get("value") for p in given}


def _apply_update(
    ctx: Ctx,
    project: ProjectConfig,
    stored: dict[str, Any],
    update: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Apply `update` operations to `stored`; return comment bodies to add."""
    comments: list[dict[str, Any]] = []
    for field_id, operations in update.items():
        for operation in operations:
            for verb, value in operation.items():
                if field_id == "comment" and verb == "add":
                    comments.append(value)
                elif verb == "set":
                    stored[field_id] = fields.coerce(ctx, project, field_id, value)
                elif verb in _LIST_OPERATIONS:
                    _list_operation(ctx, project, stored, field_id, verb, value)
                else:
                    message = f"Operation '{verb}' is not supported on '{field_id}'."
                    raise bad_request(field_id, message)
    return comments


def _list_operation(
    ctx: Ctx,
    project: ProjectConfig,
    stored: dict[str, Any],
    field_id: str,
    verb: str,
    value: Any,
) -> None:
    element = fields.coerce(ctx, project, field_id, [value])
    if not isinstance(element, list):
        raise bad_request(field_id, f"Operation '{verb}' needs a list field.")
    current = list(stored.get(field_id) or [])
    if verb == "add":
        current += [e for e in element if e not in current]
    else:
        current = [e for e in current if e not in element]
    stored[field_id] = current


def _check_not_emptied(
    ctx: Ctx,
    stored: dict[str, Any],
    screen: ScreenConfig,
    project: ProjectConfig,
    issue_type: str,
) -> None:
    required = project.screens_for(issue_type).create.required
    present = {**stored, "issuetype": issue_type}
    meta.check_required(
        ctx,
        present,
        ScreenConfig(
            fields=screen.fields, required=[r for r in required if r in screen.fields]
        ),
    )
