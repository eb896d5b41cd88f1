"""Issue endpoints: CRUD, transitions, comments, links, attachments, properties.

Each handler takes the store lock for the whole operation, so a request sees
and leaves a consistent state.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.sim.jira.errors import JiraApiError
from syncd.sim.jira.routes_common import ctx_of, json_body, store_of

API = "/rest/api/{version}"


def _wanted_fields(request: Request) -> list[str] | None:
    values = request.query_params.getlist("fields")
    return values or None


async def create_issue(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
    body = await json_body(request)
    store = store_of(request)
    with store.lock:
        answer = store.create_issue(ctx_of(request), body)
    return JSONResponse(answer, status_code=201)


async def issue(request: Request) -> Response:
    store, ref = store_of(request), request.path_params["issue"]
    ctx = ctx_of(request)
    if request.method == "GET":
        with store.lock:
            return JSONResponse(store.get_issue(ctx, ref, _wanted_fields(request)))
    if request.method == "DELETE":
        with store.lock:
            store.delete_issue(ctx, ref)
        return Response(status_code=204)
    body = await json_body(request)
    with store.lock:
        store.edit_issue(ctx, ref, body)
    return Response(status_code=204)


async def transitions(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-get
    store, ref, ctx = store_of(request), request.path_params["issue"], ctx_of(request)
    if request.method == "GET":
        expand = request.query_params.get("expand", "")
        with store.lock:
            body = store.transitions(ctx, ref, "transitions.fields" in expand)
        return JSONResponse(body)
    payload = await json_body(request)
    with store.lock:
        store.transition_issue(ctx, ref, payload)
    return Response(status_code=204)


async def comments(request: Request) -> Response:
    store, ref, ctx = store_of(request), request.path_params["issue"], ctx_of(request)
    if request.method == "GET":
        with store.lock:
            return JSONResponse(store.comments(ctx, ref))
    payload = await json_body(request)
    with store.lock:
        return JSONResponse(store.add_comment(ctx, ref, payload), status_code=201)


async def remote_links(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-remote-links/
    store, ref, ctx = store_of(request), request.path_params["issue"], ctx_of(request)
    if request.method == "GET":
        with store.lock:
            return JSONResponse(store.remote_links(ctx, ref))
    payload = await json_body(request)
    with store.lock:
        answer, created = store.upsert_remote_link(ctx, ref, payload)
    return JSONResponse(answer, status_code=201 if created else 200)


async def attachments(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-attachments/#api-rest-api-3-issue-issueidorkey-attachments-post
    if request.headers.get("x-atlassian-token", "").lower() != "no-check":
        return Response("XSRF check failed", status_code=403, media_type="text/plain")
    store, ref, ctx = store_of(request), request.path_params["issue"], ctx_of(request)
    async with request.form(
        max_part_size=store.config.attachment_max_bytes * 2
    ) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise JiraApiError(400, ["Multipart field 'file' is missing."])
        content = await upload.read()
        name = upload.filename or "attachment"
        mime = upload.content_type or "application/octet-stream"
    with store.lock:
        return JSONResponse(store.add_attachment(ctx, ref, name, content, mime))


async def property_keys(request: Request) -> Response:
    store, ref, ctx = store_of(request), request.path_params["issue"], ctx_of(request)
    with store.lock:
        return JSONResponse(store.property_keys(ctx, ref))


async def issue_property(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-properties/
    store, ref, ctx = store_of(request), request.path_params["issue"], ctx_of(request)
    key = request.path_params["key"]
    if request.method == "GET":
        with store.lock:
            return JSONResponse(store.get_property(ctx, ref, key))
    if request.method == "DELETE":
        with store.lock:
            store.delete_property(ctx, ref, key)
        return Response(status_code=204)
    try:
        value = await request.json()
    except ValueError as error:
        raise JiraApiError(400, ["The property value must be JSON."]) from error
    with store.lock:
        created = store.set_property(ctx, ref, key, value)
    return Response(status_code=201 if created else 200)


ROUTES = [
    Route(f"{API}/issue", create_issue, methods=["POST"]),
    Route(f"{API}/issue/{{issue}}", issue, methods=["GET", "PUT", "DELETE"]),
    Route(f"{API}/issue/{{issue}}/transitions", transitions, methods=["GET", "POST"]),
    Route(f"{API}/issue/{{issue}}/comment", comments, methods=["GET", "POST"]),
    Route(f"{API}/issue/{{issue}}/remotelink", remote_links, methods=["GET", "POST"]),
    Route(f"{API}/issue/{{issue}}/attachments", attachments, methods=["POST"]),
    Route(f"{API}/issue/{{issue}}/properties", property_keys),
    Route(
        f"{API}/issue/{{issue}}/properties/{{key}}",
        issue_property,
        methods=["GET", "PUT", "DELETE"],
    ),
]
