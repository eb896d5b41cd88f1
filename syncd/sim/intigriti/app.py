"""The Starlette application: routes, middleware and error shapes.

Middleware, outermost first: the request log (sees final statuses, faults
included), then fault injection, then the routes. Unknown paths and methods
answer with an ErrorModel body like every other error.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api import api_routes
from .config import IntigritiSimConfig
from .control import control_routes
from .errors import NotFoundError, SimError, error_body
from .faults import FaultMiddleware
from .files import content, link_is_valid
from .oauth import oauth_routes
from .store import IntigritiStore
from .traffic import LogMiddleware
from .web import error_response, guarded


async def get_file(request: Request) -> Response:
    """Attachment bytes behind a signed link; no bearer token needed."""
    store: IntigritiStore = request.app.state.sim
    config = store.config
    code = int(request.path_params["code"])
    try:
        expires = int(request.query_params.get("exp", ""))
    except ValueError:
        expires = 0
    sig = request.query_params.get("sig", "")
    secret = config.file_secret.get_secret_value()
    if not link_is_valid(secret, code, expires, sig, store.clock()):
        body = error_body(403, "LINK_EXPIRED", "the link is expired or not signed")
        return JSONResponse(body, status_code=403)
    if store.attachment_owner(code) is None:
        raise NotFoundError(f"attachment {code} does not exist")
    data = content(config.seed, code, config.attachment_size_bytes)
    headers = {"Content-Disposition": f'attachment; filename="{code}.png"'}
    return Response(data, media_type="application/octet-stream", headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, "ERROR")
    return JSONResponse(error_body(status, code, str(exc)), status_code=status)


def _sim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SimError)
    return error_response(exc)


def create_app(
    config: IntigritiSimConfig, clock: Callable[[], float] = time.time
) -> Starlette:
    """A simulated Intigriti; the store is at `app.state.sim`."""
    store = IntigritiStore(config, clock)
    routes = [
        *oauth_routes(),
        *api_routes(),
        Route("/files/{code:int}", guarded(get_file), methods=["GET"]),
        *control_routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(LogMiddleware, log=store.log, routes=routes, clock=clock),
            Middleware(FaultMiddleware, injector=store.faults, clock=clock),
        ],
        exception_handlers={HTTPException: _http_error, SimError: _sim_error},
    )
    app.state.sim = store
    return app
