"""Control API under `/_sim/` (no auth). Each endpoint mirrors a store method.

- `GET /_sim/requests` → `[{method, path, query, status, user, at}]`;
  `DELETE /_sim/requests` empties the log.
- `GET /_sim/counters` → `{"POST /rest/api/{version}/issue": 3, ...}`
  (writes by method and path template).
- `GET /_sim/faults`; `PUT /_sim/faults` with any of `latency_ms`,
  `error_rate`, `error_status`, `retry_after_s`, `drop_rate`, `drop_after_rate`,
  `index_lag_ms`,
  `burst_per_second`, `burst_capacity`, `per_issue_writes_per_second`,
  `per_issue_capacity` (unnamed keys keep their value); `DELETE
  /_sim/faults` restores the configured defaults.
- `POST /_sim/issues/{issue}/move` `{"project": "MOBILE"}` → `{"key": ...}`:
  moves an issue as a person would (new key, same id).
- `GET /_sim/issues/{issue}` → the issue as the bot would GET it (v2).
- `PUT /_sim/webhook` `{"url": ... | null}` → where webhooks go.
- `POST /_sim/reset` → forget issues, requests, counters and faults.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.sim.jira.config import RateLimitConfig
from syncd.sim.jira.control import Faults
from syncd.sim.jira.errors import JiraApiError
from syncd.sim.jira.routes_common import json_body, store_of

_FAULT_KEYS = (
    {f.name for f in dataclass_fields(Faults)}
    | {"index_lag_ms"}
    | set(RateLimitConfig.model_fields)
)


async def requests(request: Request) -> Response:
    store = store_of(request)
    if request.method == "DELETE":
        store.clear_requests()
        return Response(status_code=204)
    return JSONResponse(store.requests())


async def counters(request: Request) -> Response:
    return JSONResponse(store_of(request).counters())


async def faults(request: Request) -> Response:
    store = store_of(request)
    if request.method == "GET":
        return JSONResponse(store.fault_settings())
    if request.method == "DELETE":
        return JSONResponse(store.clear_faults())
    body = await json_body(request)
    unknown = set(body) - _FAULT_KEYS
    if unknown:
        raise JiraApiError(400, [f"Unknown fault settings: {sorted(unknown)}"])
    return JSONResponse(store.set_faults(**body))


async def move(request: Request) -> Response:
    body = await json_body(request)
    store = store_of(request)
    key = store.move_issue(request.path_params["issue"], str(body.get("project")))
    return JSONResponse({"key": key})


async def issue(request: Request) -> Response:
    return JSONResponse(store_of(request).issue_snapshot(request.path_params["issue"]))


async def webhook(request: Request) -> Response:
    body = await json_body(request)
    url = body.get("url")
    store_of(request).set_webhook(None if url is None else str(url))
    return Response(status_code=204)


async def reset(request: Request) -> Response:
    store_of(request).reset()
    return Response(status_code=204)


ROUTES = [
    Route("/_sim/requests", requests, methods=["GET", "DELETE"]),
    Route("/_sim/counters", counters),
    Route("/_sim/faults", faults, methods=["GET", "PUT", "DELETE"]),
    Route("/_sim/issues/{issue}/move", move, methods=["POST"]),
    Route("/_sim/issues/{issue}", issue),
    Route("/_sim/webhook", webhook, methods=["PUT"]),
    Route("/_sim/reset", reset, methods=["POST"]),
]
