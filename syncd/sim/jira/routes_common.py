"""Helpers every route module shares: the store, the caller, the JSON body."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from starlette.requests import Request

from syncd.sim.jira.errors import JiraApiError
from syncd.sim.jira.render import Ctx

if TYPE_CHECKING:
    from syncd.sim.jira.store import JiraSimStore


def store_of(request: Request) -> JiraSimStore:
    return cast("JiraSimStore", request.app.state.sim)


def ctx_of(request: Request) -> Ctx:
    """Caller, API version and base URL, as the middleware recorded them."""
    store = store_of(request)
    version = request.path_params.get("version", "2")
    version = "2" if version == "latest" else version
    user = request.state.user
    return Ctx(store.config, version, str(request.base_url).rstrip("/"), user)


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise JiraApiError(400, ["Unexpected character in the JSON body."]) from error
    if not isinstance(body, dict):
        raise JiraApiError(400, ["The request body must be a JSON object."])
    return body
