"""Routes of the company API: v2.1, v2 (same shapes) and the v1.2 reads.

Paths and shapes follow `shared/intigriti/openapi-v2.1.json`
(https://api.intigriti.com/external/company/swagger). Every route checks the
bearer token first, so a missing, expired or revoked token gets 401 on every
path, whatever else is wrong with the request.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .errors import BadRequestError
from .program_shapes import program_detail, program_overview
from .requests import (
    EditState,
    InternalReferenceBody,
    PlaceMessage,
    SeverityBody,
    TagBody,
)
from .shapes import View, event_view, submission_detail, submission_overview
from .store import IntigritiStore
from .v12_shapes import v12_detail, v12_item
from .web import Handler, base_url, guarded, json_body, unix_query

V21 = "/external/company/v2.1"
V2 = "/external/company/v2"
V12 = "/external/v1.2"


def _store(request: Request) -> IntigritiStore:
    store: IntigritiStore = request.app.state.sim
    return store


def _view(request: Request) -> View:
    store = _store(request)
    programs = {program.id: program for program in store.programs()}
    return View(store.config, programs, base_url(request), store.clock())


def authorized(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        _store(request).tokens.check(request.headers.get("authorization"))
        return await handler(request)

    return guarded(run)


def _code(request: Request) -> str:
    return str(request.path_params["code"])


async def list_programs(request: Request) -> Response:
    store = _store(request)
    return JSONResponse([program_overview(store.config, p) for p in store.programs()])


async def get_program(request: Request) -> Response:
    store = _store(request)
    program = store.program(str(request.path_params["program_id"]))
    return JSONResponse(program_detail(store.config, program))


async def list_program_submissions(request: Request) -> Response:
    store = _store(request)
    program_id = str(request.path_params["program_id"])
    store.program(program_id)
    since = unix_query(request, "UpdatedSince")
    view = _view(request)
    subs = store.submissions(updated_since=since, program_id=program_id)
    return JSONResponse([submission_overview(view, sub) for sub in subs])


async def list_submissions(request: Request) -> Response:
    since = unix_query(request, "UpdatedSince")
    view = _view(request)
    subs = _store(request).submissions(updated_since=since)
    return JSONResponse([submission_overview(view, sub) for sub in subs])


async def get_submission(request: Request) -> Response:
    sub = _store(request).submission(_code(request))
    return JSONResponse(submission_detail(_view(request), sub))


async def list_events(request: Request) -> Response:
    store = _store(request)
    since = unix_query(request, "CreatedSince")
    events = store.events(_code(request), created_since=since)
    return JSONResponse([event_view(store.config, event) for event in events])


async def put_state(request: Request) -> Response:
    body = await json_body(request, EditState)
    if body.statusTrigger is None:
        raise BadRequestError(
            "statusTrigger is required", {"statusTrigger": ["required"]}
        )
    triggers = _store(request).change_state(
        _code(request), body.statusTrigger, body.closeReason, body.duplicateSubmission
    )
    return JSONResponse({"statusTriggers": triggers})


async def put_internal_reference(request: Request) -> Response:
    body = await json_body(request, InternalReferenceBody)
    _store(request).set_internal_reference(_code(request), body.reference, body.url)
    return Response(status_code=204)


def _message_route(internal: bool) -> Handler:
    async def post_message(request: Request) -> Response:
        body = await json_body(request, PlaceMessage)
        message_id = _store(request).place_message(
            _code(request), body.message or "", internal
        )
        return JSONResponse({"messageId": message_id}, status_code=201)

    return post_message


async def put_severity(request: Request) -> Response:
    body = await json_body(request, SeverityBody)
    _store(request).set_severity(_code(request), body.id, body.vector)
    return Response(status_code=204)


async def post_tag(request: Request) -> Response:
    body = await json_body(request, TagBody)
    _store(request).add_tag(_code(request), body.tag or "")
    return Response(status_code=204)


async def delete_tag(request: Request) -> Response:
    _store(request).remove_tag(_code(request), str(request.path_params["tag"]))
    return Response(status_code=204)


async def list_v12(request: Request) -> Response:
    view = _view(request)
    subs = _store(request).submissions()
    return JSONResponse([v12_item(view, sub) for sub in subs])


async def get_v12(request: Request) -> Response:
    sub = _store(request).submission(_code(request))
    return JSONResponse(v12_detail(_view(request), sub))


def _company_routes(prefix: str) -> list[BaseRoute]:
    sub = f"{prefix}/submissions/{{code}}"
    table: list[tuple[str, Handler, str]] = [
        (f"{prefix}/programs", list_programs, "GET"),
        (f"{prefix}/programs/{{program_id}}", get_program, "GET"),
        (
            f"{prefix}/programs/{{program_id}}/submissions",
            list_program_submissions,
            "GET",
        ),
        (f"{prefix}/submissions", list_submissions, "GET"),
        (sub, get_submission, "GET"),
        (f"{sub}/events", list_events, "GET"),
        (f"{sub}/state", put_state, "PUT"),
        (f"{sub}/internal-reference", put_internal_reference, "PUT"),
        (f"{sub}/comments/internal", _message_route(internal=True), "POST"),
        (f"{sub}/comments/external", _message_route(internal=False), "POST"),
        (f"{sub}/severity", put_severity, "PUT"),
        (f"{sub}/tags", post_tag, "POST"),
        (f"{sub}/tags/{{tag}}", delete_tag, "DELETE"),
    ]
    return [
        Route(path, authorized(handler), methods=[method])
        for path, handler, method in table
    ]


def api_routes() -> list[BaseRoute]:
    return [
        *_company_routes(V21),
        # Write endpoints under v2 were seen in no client (API.md section 3);
        # the simulator accepts them with the v2.1 shapes.
        *_company_routes(V2),
        Route(f"{V12}/submissions", authorized(list_v12), methods=["GET"]),
        Route(f"{V12}/submissions/{{code}}", authorized(get_v12), methods=["GET"]),
    ]
