"""Validation of simulator responses against the official OpenAPI document.

The shared document is read, never edited; two in-memory patches make it
usable by a strict validator:

* NSwag draws inheritance as `allOf: [Base, {additionalProperties: false,
  ...}]` with `additionalProperties: false` on the base too, which no object
  holding keys of both parts can satisfy. Those schemas are flattened into
  one object with the union of the properties, still closed.
* OAS 3.0.3 gives `nullable` effect only beside `type`; NSwag writes
  `{nullable: true, oneOf: [ref]}` for "null or that object", which a strict
  validator reads as "never null" (null fails the `oneOf`). Each such schema
  is replaced by a copy of the referenced object schema with `nullable: true`,
  which keeps the intent.
* `SubmissionEventViewModel` declares four keys, while real events carry the
  extra keys of API.md section 4.5; exactly those are added.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from openapi_core import OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared/intigriti/openapi-v2.1.json"
V21 = "/external/company/v2.1/"
V2 = "/external/company/v2/"

_NULLABLE_OBJECT = {"type": "object", "nullable": True}
EVENT_EXTRA_KEYS: dict[str, Any] = {
    "from": _NULLABLE_OBJECT,
    "to": _NULLABLE_OBJECT,
    "message": {"type": "string", "nullable": True},
    "attachments": {"type": "array", "nullable": True, "items": {}},
    "destroyMessageMetadata": _NULLABLE_OBJECT,
    "lastEditedAt": {"type": "integer", "format": "int64", "nullable": True},
    "deletedAt": {"type": "integer", "format": "int64", "nullable": True},
    "amount": {
        "nullable": True,
        "oneOf": [{"$ref": "#/components/schemas/MoneyViewModel"}],
    },
    "payoutType": {
        "nullable": True,
        "oneOf": [{"$ref": "#/components/schemas/EnumerationViewModel"}],
    },
    "payoutId": {"type": "string", "nullable": True},
}


def raw_spec() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        raise FileNotFoundError(
            f"Intigriti's OpenAPI document is expected at {SPEC_PATH}: the "
            "shared/ folder beside the clone, as CI lays it out"
        )
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def _flatten_all_of(schemas: dict[str, Any]) -> None:
    for name, schema in list(schemas.items()):
        if "allOf" not in schema:
            continue
        merged: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {},
        }
        for part in schema["allOf"]:
            if "$ref" in part:
                part = schemas[part["$ref"].rsplit("/", 1)[1]]
            merged["properties"].update(part.get("properties", {}))
        schemas[name] = merged


def _inline_nullable_refs(node: Any, schemas: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline_nullable_refs(value, schemas) for value in node]
    if not isinstance(node, dict):
        return node
    one_of = node.get("oneOf")
    if node.get("nullable") and one_of and len(one_of) == 1 and "$ref" in one_of[0]:
        target = schemas[one_of[0]["$ref"].rsplit("/", 1)[1]]
        extra = {k: v for k, v in node.items() if k not in ("oneOf", "nullable")}
        return _inline_nullable_refs({**target, **extra, "nullable": True}, schemas)
    return {key: _inline_nullable_refs(value, schemas) for key, value in node.items()}


@cache
def patched_spec() -> dict[str, Any]:
    spec = copy.deepcopy(raw_spec())
    schemas = spec["components"]["schemas"]
    _flatten_all_of(schemas)
    schemas["SubmissionEventViewModel"]["properties"].update(EVENT_EXTRA_KEYS)
    spec["components"] = _inline_nullable_refs(spec["components"], schemas)
    return spec


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(patched_spec())


def load_spec_model() -> None:
    """Build the spec model now, not inside the first answer it checks."""
    _openapi()


def _validator(schema_name: str) -> OAS30Validator:
    spec = patched_spec()
    schema = dict(spec["components"]["schemas"][schema_name])
    schema["components"] = spec["components"]
    return OAS30Validator(schema)


def validate_response(response: httpx.Response) -> bool:
    """Validate a v2.1 (or v2) response; return False if it is not one."""
    response.read()
    return validate_exchange(
        response.request.method,
        response.request.url.path,
        dict(response.request.url.params),
        response.status_code,
        response.headers.get("content-type", "application/json"),
        response.content,
    )


def validate_exchange(
    method: str,
    path: str,
    query: dict[str, str],
    status: int,
    content_type: str,
    body: bytes,
) -> bool:
    """Validate one answer of the company API; False if the path is not one."""
    if path.startswith(V2):
        path = V21 + path[len(V2) :]
    elif not path.startswith(V21):
        return False
    request = MockRequest("https://api.intigriti.com", method.lower(), path, args=query)
    mock = MockResponse(body, status_code=status, content_type=content_type)
    try:
        _openapi().validate_response(request, mock)
    except ResponseNotFound:
        # The document declares error bodies on a few endpoints only; every
        # other error must still be an ErrorModel.
        _validator("ErrorModel").validate(json.loads(body))
    return True


class ValidatingApp:
    """ASGI wrapper recording every company-API answer that breaks the spec.

    The suite wraps each Intigriti simulator it starts in one of these, so
    every response any test produces is checked, not only those of the
    simulator's own tests.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state = getattr(app, "state", None)
        self.checked = 0
        self.violations: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith((V21, V2)):
            await self.app(scope, receive, send)
            return
        answer: dict[str, Any] = {"status": 0, "type": "", "body": b""}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = dict(message.get("headers", []))
                answer["type"] = headers.get(b"content-type", b"").decode()
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, recording_send)
        if scope.get("sim_fault") or answer["status"] == 0:
            return  # injected faults are not answers of the API
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        try:
            validate_exchange(
                scope["method"],
                scope["path"],
                query,
                answer["status"],
                answer["type"] or "application/json",
                answer["body"],
            )
            self.checked += 1
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            self.violations.append(f"{scope['method']} {scope['path']}: {exc}")
