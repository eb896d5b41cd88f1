"""The control API under `/_sim/`, for tests and the demo. No auth; never
faulted; never logged. Bodies use snake_case. Each endpoint has a Python
twin on `IntigritiStore`.

    POST   /_sim/submissions                 create as a researcher
           {title?, program_id?, severity? (key), vector?, status? ("triage" |
            "draft"), type? {name, category, cwe}, researcher? (user name),
            tags?, attachments? (count), created_at?, original_title?,
            motivation?, endpoint?, poc_description?, impact?,
            recommended_solution?, personal_data?, ip?}
           -> 201 {"code"}                        store.create_submission
    GET    /_sim/submissions/{code}          -> 200 the stored record (drafts
                                                 too)       store.submission
    PATCH  /_sim/submissions/{code}          edit as triager/researcher
           {title?, severity? (key), vector?, tags? (full list), and the
            report fields above}
           -> 200 {"code", "lastUpdatedAt"}       store.update_submission
    POST   /_sim/submissions/{code}/state    move as triager
           {trigger: key ("accept", "close", "reopen", "archive", "submit")
                     or status-trigger id, close_reason?: key or id,
            duplicate_submission?: code}
           -> 200 {"status": key}                 store.apply_trigger
    POST   /_sim/submissions/{code}/messages {message, internal?: false,
            author?: "researcher" | "triager"}
           -> 201 {"messageId"}                   store.place_message
    POST   /_sim/submissions/{code}/payouts  {amount, type?: "bounty"}
           -> 201 {"payoutId"}                    store.add_payout
    GET    /_sim/requests  -> 200 [{method, path, query, status, at, fault}]
    DELETE /_sim/requests  -> 204                 store.clear_requests
    GET    /_sim/counters  -> 200 {"requests": {"GET /path/{template}": n},
                                   "tokens_issued": {grant_type: n}}
    POST   /_sim/tokens/revoke {token?: str, include_static?: bool}
           -> 200 {"revoked": n}  (no token: every issued token)
    PUT    /_sim/faults    FaultSettings -> 200 the settings  store.set_faults
    GET    /_sim/faults    -> 200 the settings
    DELETE /_sim/faults    -> 204                 store.clear_faults
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .errors import BadRequestError
from .faults import FaultSettings
from .store import IntigritiStore
from .web import guarded, json_body

PREFIX = "/_sim"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateBody(_Body):
    trigger: str | int
    close_reason: str | int | None = None
    duplicate_submission: str | None = None


class MessageBody(_Body):
    message: str
    internal: bool = False
    author: Literal["researcher", "triager"] = "researcher"


class PayoutBody(_Body):
    amount: float
    type: str = "bounty"


class RevokeBody(_Body):
    token: str | None = None
    include_static: bool = False


class FreeBody(BaseModel):
    """Any JSON object; the store checks the keys."""

    model_config = ConfigDict(extra="allow")


def _store(request: Request) -> IntigritiStore:
    store: IntigritiStore = request.app.state.sim
    return store


def _code(request: Request) -> str:
    return str(request.path_params["code"])


async def _fields(request: Request) -> dict[str, Any]:
    body = await json_body(request, FreeBody)
    return dict(body.model_extra or {})


def _key(store: IntigritiStore, table: str, value: str | int | None) -> str | None:
    """Accept a key or a configured id; the control API takes both."""
    if value is None or isinstance(value, str):
        return value
    key = store.config.enums.key_of(table, value)
    if key is None:
        raise BadRequestError(f"unknown {table} id {value}")
    return key


async def create_submission(request: Request) -> Response:
    code = _store(request).create_submission(await _fields(request))
    return JSONResponse({"code": code}, status_code=201)


async def get_submission(request: Request) -> Response:
    sub = _store(request).submission(_code(request), include_hidden=True)
    return JSONResponse(sub.model_dump(mode="json"))


async def patch_submission(request: Request) -> Response:
    store = _store(request)
    store.update_submission(_code(request), await _fields(request))
    sub = store.submission(_code(request), include_hidden=True)
    return JSONResponse({"code": sub.code, "lastUpdatedAt": sub.last_updated_at})


async def post_state(request: Request) -> Response:
    store = _store(request)
    body = await json_body(request, StateBody)
    trigger = _key(store, "status_trigger", body.trigger) or ""
    status = store.apply_trigger(
        _code(request),
        trigger,
        _key(store, "close_reason", body.close_reason),
        body.duplicate_submission,
    )
    return JSONResponse({"status": status})


async def post_message(request: Request) -> Response:
    store = _store(request)
    body = await json_body(request, MessageBody)
    sub = store.submission(_code(request), include_hidden=True)
    actor = sub.submitter if body.author == "researcher" else store.triager()
    message_id = store.place_message(sub.code, body.message, body.internal, actor)
    return JSONResponse({"messageId": message_id}, status_code=201)


async def post_payout(request: Request) -> Response:
    body = await json_body(request, PayoutBody)
    payout_id = _store(request).add_payout(_code(request), body.amount, body.type)
    return JSONResponse({"payoutId": payout_id}, status_code=201)


async def get_requests(request: Request) -> Response:
    return JSONResponse(_store(request).requests())


async def delete_requests(request: Request) -> Response:
    _store(request).clear_requests()
    return Response(status_code=204)


async def get_counters(request: Request) -> Response:
    return JSONResponse(_store(request).counters())


async def revoke_tokens(request: Request) -> Response:
    body = await json_body(request, RevokeBody)
    revoked = _store(request).revoke_tokens(body.token, body.include_static)
    return JSONResponse({"revoked": revoked})


async def put_faults(request: Request) -> Response:
    settings = await json_body(request, FaultSettings)
    _store(request).set_faults(settings)
    return JSONResponse(settings.model_dump())


async def get_faults(request: Request) -> Response:
    return JSONResponse(_store(request).faults.settings.model_dump())


async def delete_faults(request: Request) -> Response:
    _store(request).clear_faults()
    return Response(status_code=204)


def control_routes() -> list[BaseRoute]:
    sub = f"{PREFIX}/submissions/{{code}}"
    table = [
        (f"{PREFIX}/submissions", create_submission, "POST"),
        (sub, get_submission, "GET"),
        (sub, patch_submission, "PATCH"),
        (f"{sub}/state", post_state, "POST"),
        (f"{sub}/messages", post_message, "POST"),
        (f"{sub}/payouts", post_payout, "POST"),
        (f"{PREFIX}/requests", get_requests, "GET"),
        (f"{PREFIX}/requests", delete_requests, "DELETE"),
        (f"{PREFIX}/counters", get_counters, "GET"),
        (f"{PREFIX}/tokens/revoke", revoke_tokens, "POST"),
        (f"{PREFIX}/faults", put_faults, "PUT"),
        (f"{PREFIX}/faults", get_faults, "GET"),
        (f"{PREFIX}/faults", delete_faults, "DELETE"),
    ]
    return [
        Route(path, guarded(handler), methods=[method])
        for path, handler, method in table
    ]
