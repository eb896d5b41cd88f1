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

import httpx
from openapi_core import OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

SPEC_PATH = Path(__file__).resolve().parents[4] / "shared/intigriti/openapi-v2.1.json"
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


def _validator(schema_name: str) -> OAS30Validator:
    spec = patched_spec()
    schema = dict(spec["components"]["schemas"][schema_name])
    schema["components"] = spec["components"]
    return OAS30Validator(schema)


def validate_response(response: httpx.Response) -> bool:
    """Validate a v2.1 (or v2) response; return False if it is not one."""
    path = response.request.url.path
    if path.startswith(V2):
        path = V21 + path[len(V2) :]
    elif not path.startswith(V21):
        return False
    response.read()
    request = MockRequest(
        "https://api.intigriti.com",
        response.request.method.lower(),
        path,
        args=dict(response.request.url.params),
    )
    mock = MockResponse(
        response.content,
        status_code=response.status_code,
        content_type=response.headers.get("content-type", "application/json"),
    )
    try:
        _openapi().validate_response(request, mock)
    except ResponseNotFound:
        # The document declares error bodies on a few endpoints only; every
        # other error must still be an ErrorModel.
        _validator("ErrorModel").validate(response.json())
    return True
