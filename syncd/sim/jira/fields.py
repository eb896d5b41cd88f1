"""Field catalogue (`GET /field`) and the checks Jira applies to field values.

`coerce` turns a request value into the stored value or raises a 400 keyed
by the field id, the way Jira names the offending field in `errors`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from syncd.sim.jira import adf
from syncd.sim.jira.config import CustomFieldConfig, ProjectConfig
from syncd.sim.jira.errors import JiraApiError, bad_request
from syncd.sim.jira.render import Ctx

SUMMARY_LIMIT = 255
TEXT_FIELD_LIMIT = 255

# id -> (name, schema type, items, orderable)
SYSTEM_FIELDS: dict[str, tuple[str, str, str | None, bool]] = {
    "summary": ("Summary", "string", None, True),
    "description": ("Description", "string", None, True),
    "issuetype": ("Issue Type", "issuetype", None, True),
    "project": ("Project", "project", None, False),
    "priority": ("Priority", "priority", None, True),
    "labels": ("Labels", "array", "string", True),
    "components": ("Component/s", "array", "component", True),
    "assignee": ("Assignee", "user", None, True),
    "reporter": ("Reporter", "user", None, True),
    "status": ("Status", "status", None, False),
    "resolution": ("Resolution", "resolution", None, True),
    "resolutiondate": ("Resolved", "datetime", None, False),
    "created": ("Created", "datetime", None, False),
    "updated": ("Updated", "datetime", None, False),
    "comment": ("Comment", "comments-page", None, True),
    "attachment": ("Attachment", "array", "attachment", True),
}

_CUSTOM_SCHEMA: dict[str, tuple[str, str, str | None]] = {
    "text": ("textfield", "string", None),
    "textarea": ("textarea", "string", None),
    "number": ("float", "number", None),
    "select": ("select", "option", None),
    "multiselect": ("multiselect", "array", "option"),
    "labels": ("labels", "array", "string"),
    "date": ("datepicker", "date", None),
    "user": ("userpicker", "user", None),
}
_PLUGIN = "com.atlassian.jira.plugin.system.customfieldtypes"


def schema(ctx: Ctx, field_id: str) -> dict[str, Any]:
    if field_id in SYSTEM_FIELDS:
        _, kind, items, _ = SYSTEM_FIELDS[field_id]
        body: dict[str, Any] = {"type": kind, "system": field_id}
    else:
        custom = custom_field(ctx, field_id)
        plugin, kind, items = _CUSTOM_SCHEMA[custom.type]
        number = int(field_id.removeprefix("customfield_"))
        body = {"type": kind, "custom": f"{_PLUGIN}:{plugin}", "customId": number}
    if items:
        body["items"] = items
    return body


def name_of(ctx: Ctx, field_id: str) -> str:
    if field_id in SYSTEM_FIELDS:
        return SYSTEM_FIELDS[field_id][0]
    return custom_field(ctx, field_id).name


def custom_field(ctx: Ctx, field_id: str) -> CustomFieldConfig:
    return next(f for f in ctx.config.custom_fields if f.id == field_id)


def catalogue(ctx: Ctx) -> list[dict[str, Any]]:
    """The `GET /field` answer: system fields, then custom fields."""
    entries = []
    for field_id, (name, _, _, orderable) in SYSTEM_FIELDS.items():
        entries.append(
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": orderable,
                "navigable": field_id not in ("comment", "attachment"),
                "searchable": True,
                "clauseNames": [field_id],
                "schema": schema(ctx, field_id),
            }
        )
    for custom in ctx.config.custom_fields:
        number = custom.id.removeprefix("customfield_")
        entries.append(
            {
                "id": custom.id,
                "key": custom.id,
                "name": custom.name,
                "untranslatedName": custom.name,
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{number}]", custom.name],
                "schema": schema(ctx, custom.id),
            }
        )
    return entries


def _ref(value: Any, field_id: str) -> tuple[str | None, str | None]:
    """Read `{"id": ...}` or `{"name": ...}` (or `value` for options)."""
    if not isinstance(value, dict):
        raise bad_request(field_id, f"Could not read the value of '{field_id}'.")
    ident = value.get("id")
    name = value.get("name", value.get("value"))
    return (None if ident is None else str(ident)), (
        None if name is None else str(name)
    )


def _pick(
    value: Any, field_id: str, choices: list[tuple[str, str]], message: str
) -> tuple[str, str]:
    ident, name = _ref(value, field_id)
    for choice in choices:
        if (ident is not None and ident == choice[0]) or (
            ident is None and name == choice[1]
        ):
            return choice
    raise bad_request(field_id, message.format(ident or name))


def rich_text(ctx: Ctx, field_id: str, value: Any) -> adf.RichText:
    """Check a description or comment body for the API version in use."""
    if ctx.version == "3":
        if not adf.is_document(value):
            raise bad_request(
                field_id,
                "Operation value must be an Atlassian Document "
                "(see the Atlassian Document Format)",
            )
    elif not isinstance(value, str):
        raise bad_request(field_id, "Operation value must be a string")
    stored: adf.RichText = value
    if adf.stored_length(stored) > adf.TEXT_LIMIT:
        raise bad_request(
            field_id,
            "The entered text is too long. It exceeds the allowed limit of "
            "32,767 characters.",
        )
    return stored


def _summary(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request("summary", "You must specify a summary of the issue.")
    if len(value) > SUMMARY_LIMIT:
        raise bad_request("summary", "Summary must be less than 255 characters.")
    if "\n" in value or "\r" in value:
        message = "The summary is invalid because it contains newline characters."
        raise bad_request("summary", message)
    return value


def labels(field_id: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(field_id, "The labels must be a list of strings.")
    for label in value:
        check_label(field_id, label)
    return list(dict.fromkeys(value))


def check_label(field_id: str, label: str) -> None:
    if not label or any(c.isspace() for c in label):
        raise bad_request(
            field_id, f"The label '{label}' contains spaces which is invalid."
        )
    if len(label) > SUMMARY_LIMIT:
        raise bad_request(field_id, "The label must be at most 255 characters.")


def user_ref(ctx: Ctx, field_id: str, value: Any) -> str | None:
    if value is None:
        return None
    wanted = "accountId" if ctx.config.is_cloud else "name"
    given = value.get(wanted) if isinstance(value, dict) else None
    for account in ctx.config.users:
        ident = account.account_id if ctx.config.is_cloud else account.name
        if given == ident:
            return account.name
    raise bad_request(field_id, f"User '{given}' does not exist.")


def coerce(ctx: Ctx, project: ProjectConfig, field_id: str, value: Any) -> Any:
    """Return the stored form of `value` for `field_id`, or raise a 400."""
    if field_id == "summary":
        return _summary(value)
    if field_id == "description":
        return None if value is None else rich_text(ctx, field_id, value)
    if field_id == "labels":
        return labels(field_id, value or [])
    if field_id in ("assignee", "reporter"):
        return user_ref(ctx, field_id, value)
    if field_id == "priority":
        choices = [(p.id, p.name) for p in ctx.config.priorities]
        return _pick(value, field_id, choices, "The priority selected is invalid.")[1]
    if field_id == "resolution":
        choices = [(r.id, r.name) for r in ctx.config.resolutions]
        return _pick(value, field_id, choices, "Could not find resolution '{}'.")[1]
    if field_id == "components":
        if not isinstance(value, list):
            raise bad_request(field_id, "Components must be a list.")
        choices = [(c.id, c.name) for c in project.components]
        message = "Component '{}' is not valid."
        return [_pick(v, field_id, choices, message)[1] for v in value]
    return _coerce_custom(ctx, custom_field(ctx, field_id), value)


def _coerce_custom(ctx: Ctx, custom: CustomFieldConfig, value: Any) -> Any:
    field_id = custom.id
    if value is None:
        return None
    if custom.type in ("select", "multiselect"):
        choices = [(o.id, o.value) for o in custom.options]
        message = "Option value '{}' is not valid"
        items = value if custom.type == "multiselect" else [value]
        if not isinstance(items, list):
            raise bad_request(field_id, "Options must be a list.")
        picked = [_pick(v, field_id, choices, message) for v in items]
        options = [{"value": p[1], "id": p[0]} for p in picked]
        return options if custom.type == "multiselect" else options[0]
    if custom.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(field_id, "Operation value must be a number")
        return float(value)
    if custom.type == "text":
        if not isinstance(value, str):
            raise bad_request(field_id, "Operation value must be a string")
        if len(value) > TEXT_FIELD_LIMIT:
            raise bad_request(field_id, "You can only enter 255 characters.")
        return value
    if custom.type == "textarea":
        return rich_text(ctx, field_id, value)
    if custom.type == "labels":
        return labels(field_id, value)
    if custom.type == "user":
        return user_ref(ctx, field_id, value)
    return _date(field_id, value)


def _date(field_id: str, value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as error:
        message = f"Error parsing date string: {value}"
        raise JiraApiError(400, errors={field_id: message}) from error
