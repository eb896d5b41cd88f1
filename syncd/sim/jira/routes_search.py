"""Search: Cloud's `search/jql` (token paging) and DC's `search` (offsets)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.sim.jira import search
from syncd.sim.jira.errors import JiraApiError
from syncd.sim.jira.routes_common import ctx_of, json_body, store_of

API = "/rest/api/{version}"
GONE = (
    "The requested API has been removed. Please migrate to the "
    "/rest/api/3/search/jql API. A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)


async def _params(request: Request) -> dict[str, Any]:
    """GET query or POST body, with list-valued parameters as lists."""
    if request.method == "POST":
        return await json_body(request)
    query = request.query_params
    params: dict[str, Any] = {k: query.get(k) for k in query}
    for name in ("fields", "reconcileIssues"):
        values = [v for raw in query.getlist(name) for v in raw.split(",") if v]
        params[name] = values or None
    return params


def _ids(values: Any) -> set[int]:
    try:
        return {int(v) for v in values or []}
    except (TypeError, ValueError) as error:
        raise JiraApiError(400, ["reconcileIssues must be issue ids."]) from error


def _fields(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


async def search_offsets(request: Request) -> Response:
    # https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search
    store = store_of(request)
    if store.config.is_cloud:
        raise JiraApiError(410, [GONE])
    params = await _params(request)
    ctx = ctx_of(request)
    with store.lock:
        found = store.search(ctx, str(params.get("jql") or ""))
        page = search.dc_page(
            ctx,
            found,
            params.get("startAt"),
            params.get("maxResults"),
            _fields(params.get("fields")),
        )
    return JSONResponse(page)


async def search_tokens(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
    store = store_of(request)
    if not store.config.is_cloud:
        raise JiraApiError(404, ["null for uri: search/jql"])
    params = await _params(request)
    ctx = ctx_of(request)
    with store.lock:
        found = store.search(
            ctx, str(params.get("jql") or ""), _ids(params.get("reconcileIssues"))
        )
        page = search.cloud_page(
            ctx,
            found,
            params.get("nextPageToken"),
            params.get("maxResults"),
            _fields(params.get("fields")),
        )
    return JSONResponse(page)


ROUTES = [
    Route(f"{API}/search", search_offsets, methods=["GET", "POST"]),
    Route(f"{API}/search/jql", search_tokens, methods=["GET", "POST"]),
]
