"""`syncd mapping check | preview | schema`: the mapping file, before it runs.

``check`` validates files and, when Jira is configured, checks them against
Jira's metadata (``syncd.mapping.lint``). ``preview`` shows the exact create
payload one submission would get, reading only: a GET of the submission, an
Intigriti token, and Jira's metadata (``GET /field``, createmeta).
``schema`` prints the JSON Schema of the file, generated from the models.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from syncd.errors import ConfigError, NotFoundError, SyncdError
from syncd.intigriti.client import IntigritiClient
from syncd.intigriti.models import Submission
from syncd.intigriti.tokens import TokenProvider
from syncd.jira.client import JiraClient
from syncd.jira.fields import FieldCatalog, shape_value
from syncd.jira.models import Flavour
from syncd.linking import SUBMISSION_PROPERTY
from syncd.mapping.build import build_draft
from syncd.mapping.draft import IssueDraft
from syncd.mapping.lint import ScreenField, lint_against_jira, lint_offline
from syncd.mapping.loader import read_mapping
from syncd.mapping.models import SPEC_SOURCES, Mapping
from syncd.settings import Settings
from syncd.state import connect_redis


def mapping_schema() -> dict[str, Any]:
    """The JSON Schema of a mapping file (what `mappings/schema.json` holds)."""
    schema = _field_objects_apart(Mapping.model_json_schema())
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _field_objects_apart(node: Any) -> Any:
    """Keep a field object from also matching the "any literal" branch.

    Pydantic writes a field entry as ``oneOf: [FieldSpec, anyOf[..., object]]``;
    a field object would match both and fail ``oneOf``. The literal object
    branch is narrowed to objects without the field-object keys, as the
    models' discriminator decides.
    """
    if isinstance(node, list):
        return [_field_objects_apart(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _field_objects_apart(value) for key, value in node.items()}
    choices = node.get("oneOf")
    if isinstance(choices, list) and {"$ref": "#/$defs/FieldSpec"} in choices:
        for choice in choices:
            for branch in choice.get("anyOf", []):
                if branch.get("type") == "object":
                    keys = [*SPEC_SOURCES, "owner"]
                    branch["not"] = {"anyOf": [{"required": [k]} for k in keys]}
    return node


def schema_text() -> str:
    return json.dumps(mapping_schema(), indent=2, ensure_ascii=False) + "\n"


class JiraSite:
    """``lint.Site`` over a live Jira client, each read made once."""

    def __init__(self, jira: JiraClient) -> None:
        self._jira = jira
        self._types: dict[str, dict[str, str] | None] = {}
        self._screens: dict[tuple[str, str], dict[str, ScreenField]] = {}

    def catalog(self) -> FieldCatalog:
        return self._jira.field_catalog()

    def issue_types(self, project: str) -> list[str] | None:
        if project not in self._types:
            try:
                raw = self._jira.create_meta_issue_types(project)
            except NotFoundError:
                self._types[project] = None
            else:
                self._types[project] = {str(t["name"]): str(t["id"]) for t in raw}
        types = self._types[project]
        return None if types is None else list(types)

    def create_screen(self, project: str, issue_type: str) -> dict[str, ScreenField]:
        key = (project, issue_type)
        if key not in self._screens:
            type_id = (self._types.get(project) or {})[issue_type]
            raw = self._jira.create_meta_fields(project, type_id)
            fields = (ScreenField.from_raw(item) for item in raw)
            self._screens[key] = {field.id: field for field in fields}
        return self._screens[key]


def check_files(files: Sequence[Path], jira: JiraClient | None) -> list[str]:
    """One report line per file, problems indented below; empty list = none."""
    lines: list[str] = []
    site = JiraSite(jira) if jira is not None else None
    failed = False
    for path in files:
        try:
            file = read_mapping(path)
        except ConfigError as exc:
            lines.append(f"[FAIL] {exc}")
            failed = True
            continue
        problems = lint_offline(file)
        if site is not None:
            problems += lint_against_jira(file, site)
        failed = failed or bool(problems)
        lines.append(f"[{'FAIL' if problems else 'ok  '}] {path}")
        lines += [f"  {problem}" for problem in problems]
    return lines if failed else []


def check_report(files: Sequence[Path], jira: JiraClient | None) -> tuple[bool, str]:
    """``(ok, text)`` for `syncd mapping check`."""
    problems = check_files(files, jira)
    if problems:
        return False, "\n".join(problems)
    where = f"against Jira ({jira.flavour.value})" if jira else "offline"
    return True, "\n".join(f"[ok  ] {path} (checked {where})" for path in files)


def fetch_submission(settings: Settings, code: str) -> Submission:
    """The submission as the engine would read it (GETs and a token only)."""
    with ExitStack() as stack:
        client = connect_redis(settings.redis)
        stack.callback(client.close)
        tokens = TokenProvider(settings.intigriti, client, settings.redis.key_prefix)
        stack.callback(tokens.close)
        intigriti = IntigritiClient(settings.intigriti, tokens)
        stack.callback(intigriti.close)
        return intigriti.get_submission(code)


def create_payload(
    draft: IssueDraft, submission: Submission, jira: JiraClient | None
) -> dict[str, Any]:
    """What ``JiraClient.create_issue`` sends for ``draft``.

    Field ids resolved when ``jira`` is given (values shaped for the draft's
    flavour, even if Jira runs the other one); by name when it is not.
    """
    fields: dict[str, Any] = {
        "project": {"key": draft.project},
        "issuetype": {"name": draft.issue_type},
    }
    if jira is not None and jira.flavour is draft.flavour:
        fields |= jira.draft_fields(draft)
    else:
        fields |= _fields_by_name(draft, jira)
    return {
        "fields": fields,
        "properties": [
            {
                "key": SUBMISSION_PROPERTY,
                "value": {"code": submission.code, "url": submission.web_url},
            }
        ],
    }


def _fields_by_name(draft: IssueDraft, jira: JiraClient | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "summary": draft.summary,
        "description": draft.description,
    }
    if draft.priority is not None:
        fields["priority"] = {"name": draft.priority}
    if draft.labels:
        fields["labels"] = list(draft.labels)
    if draft.components:
        fields["components"] = [{"name": name} for name in draft.components]
    for name, value in draft.custom_fields.items():
        if jira is None:
            fields[name] = value
            continue
        info = jira.resolve_field(draft.project, draft.issue_type, name)
        fields[info.id] = shape_value(info, value, draft.flavour)
    return fields


def preview(
    submission: Submission,
    mapping: Mapping,
    flavours: Sequence[Flavour],
    settings: Settings,
    jira: JiraClient | None,
) -> dict[str, Any]:
    """The create payload per flavour, keyed by the flavour's name."""
    return {
        flavour.value: create_payload(
            build_draft(submission, mapping, flavour, settings.intigriti.enums),
            submission,
            jira,
        )
        for flavour in flavours
    }


def connect_jira(settings: Settings) -> tuple[JiraClient | None, str]:
    """A Jira client, or None and why not (the preview then goes by name)."""
    try:
        return JiraClient.connect(settings.jira), ""
    except SyncdError as exc:
        return None, f"{type(exc).__name__}: {exc}"
