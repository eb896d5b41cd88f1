"""Site metadata: serverInfo, myself, fields, projects, createmeta, editmeta."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.sim.jira import fields, meta, render
from syncd.sim.jira.errors import not_found
from syncd.sim.jira.model import jira_time, now
from syncd.sim.jira.routes_common import ctx_of, store_of

CLOUD_VERSION = "1001.0.0-SNAPSHOT"
DC_VERSION = "9.12.15"


async def server_info(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-server-info/
    config = store_of(request).config
    version = config.version or (CLOUD_VERSION if config.is_cloud else DC_VERSION)
    numbers = [int(p) for p in version.split("-")[0].split(".")[:3]]
    return JSONResponse(
        {
            "baseUrl": str(request.base_url).rstrip("/"),
            "version": version,
            "versionNumbers": numbers,
            "deploymentType": "Cloud" if config.is_cloud else "DataCenter",
            "buildNumber": 100_000 + numbers[0],
            "buildDate": "2026-01-05T00:00:00.000+0000",
            "serverTime": jira_time(now()),
            "scmInfo": "0000000000000000000000000000000000000000",
            "serverTitle": "Jira (simulated)",
        }
    )


async def myself(request: Request) -> Response:
    ctx = ctx_of(request)
    return JSONResponse(render.user(ctx, ctx.user))


async def field_list(request: Request) -> Response:
    return JSONResponse(fields.catalogue(ctx_of(request)))


def _project_body(request: Request, key: str) -> dict[str, Any]:
    ctx = ctx_of(request)
    project = meta.project_by_ref(ctx, key)
    body = render.project(ctx, project.key)
    body["issueTypes"] = [render.issue_type(ctx, t) for t in project.issue_types]
    body["components"] = [
        render.named(ctx, "component", c.id, c.name) for c in project.components
    ]
    body["projectTypeKey"] = "software"
    return body


async def project(request: Request) -> Response:
    return JSONResponse(_project_body(request, request.path_params["project"]))


async def projects(request: Request) -> Response:
    keys = [p.key for p in store_of(request).config.projects]
    return JSONResponse([_project_body(request, k) for k in keys])


async def priorities(request: Request) -> Response:
    ctx = ctx_of(request)
    return JSONResponse([render.priority(ctx, p.name) for p in ctx.config.priorities])


async def resolutions(request: Request) -> Response:
    ctx = ctx_of(request)
    return JSONResponse(
        [render.resolution(ctx, r.name) for r in ctx.config.resolutions]
    )


async def statuses(request: Request) -> Response:
    ctx = ctx_of(request)
    return JSONResponse([render.status(ctx, s) for s in ctx.config.statuses])


async def global_createmeta(request: Request) -> Response:
    # Removed in Jira Cloud and Jira 9: only the per-project endpoints remain.
    raise not_found("The global createmeta endpoint has been removed.")


def _paging(request: Request) -> tuple[int, int]:
    start = int(request.query_params.get("startAt", 0))
    return start, int(request.query_params.get("maxResults", 50))


async def createmeta_issue_types(request: Request) -> Response:
    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-createmeta-projectidorkey-issuetypes-get
    ctx = ctx_of(request)
    project = meta.project_by_ref(ctx, request.path_params["project"])
    types = [render.issue_type(ctx, t) for t in project.issue_types]
    start, size = _paging(request)
    return JSONResponse(meta.page(ctx, types, "issueTypes", start, size))


async def createmeta_fields(request: Request) -> Response:
    ctx = ctx_of(request)
    project = meta.project_by_ref(ctx, request.path_params["project"])
    wanted = request.path_params["issue_type"]
    names = [t for t in project.issue_types if ctx.config.issue_type(t).id == wanted]
    if not names:
        raise not_found(f"Issue type with id '{wanted}' is not valid in this project.")
    screen = project.screens_for(names[0]).create
    start, size = _paging(request)
    entries = meta.screen_fields(ctx, project, screen)
    return JSONResponse(meta.page(ctx, entries, "fields", start, size))


async def editmeta(request: Request) -> Response:
    store = store_of(request)
    with store.lock:
        body = store.editmeta(ctx_of(request), request.path_params["issue"])
    return JSONResponse(body)


async def application_links(request: Request) -> Response:
    # The jira library lists these before adding a remote link; none exist.
    return JSONResponse({"list": []})


API = "/rest/api/{version}"
ROUTES = [
    Route(f"{API}/serverInfo", server_info),
    Route(f"{API}/myself", myself),
    Route(f"{API}/field", field_list),
    Route(f"{API}/project", projects),
    Route(f"{API}/project/{{project}}", project),
    Route(f"{API}/priority", priorities),
    Route(f"{API}/resolution", resolutions),
    Route(f"{API}/status", statuses),
    Route(f"{API}/issue/createmeta", global_createmeta),
    Route(f"{API}/issue/createmeta/{{project}}/issuetypes", createmeta_issue_types),
    Route(
        f"{API}/issue/createmeta/{{project}}/issuetypes/{{issue_type}}",
        createmeta_fields,
    ),
    Route(f"{API}/issue/{{issue}}/editmeta", editmeta),
    Route("/rest/applinks/latest/listApplicationlinks", application_links),
]
