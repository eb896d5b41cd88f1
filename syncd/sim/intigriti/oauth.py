"""Routes of the login host: `/connect/authorize` and `/connect/token`.

The real ones live at https://login.intigriti.com (API.md section 1); the
simulator serves them on its own port so one base URL covers everything.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .auth import OAuthError
from .store import IntigritiStore

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _store(request: Request) -> IntigritiStore:
    store: IntigritiStore = request.app.state.sim
    return store


def _oauth_error(error: OAuthError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=NO_STORE)


async def authorize(request: Request) -> Response:
    """Consents at once, with no page: the browser is sent straight back."""
    try:
        location = _store(request).tokens.authorize(dict(request.query_params))
    except OAuthError as error:
        return _oauth_error(error)
    return RedirectResponse(location, status_code=302)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


async def token(request: Request) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    if media_type != "application/x-www-form-urlencoded":
        error = OAuthError("invalid_request", "the body must be form-encoded")
        return _oauth_error(error)
    form = await request.form()
    fields = {key: str(value) for key, value in form.items()}
    try:
        answer = _store(request).tokens.exchange(fields, _basic_credentials(request))
    except OAuthError as error:
        return _oauth_error(error)
    return JSONResponse(answer, headers=NO_STORE)


def oauth_routes() -> list[BaseRoute]:
    return [
        Route("/connect/authorize", authorize, methods=["GET"]),
        Route("/connect/token", token, methods=["POST"]),
    ]
