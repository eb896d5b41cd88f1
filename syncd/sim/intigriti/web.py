"""Small helpers shared by the route modules: bodies, queries, errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import BadRequestError, SimError, UnauthorizedError, UnsupportedMediaError

Model = TypeVar("Model", bound=BaseModel)
Handler = Callable[[Request], Awaitable[Response]]


def error_response(error: SimError) -> JSONResponse:
    headers = {}
    if isinstance(error, UnauthorizedError):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def guarded(handler: Handler) -> Handler:
    """Turn SimError into its ErrorModel response."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except SimError as error:
            return error_response(error)

    return run


async def json_body(request: Request, model: type[Model]) -> Model:
    """Parse a JSON body into `model`; 415 for another media type, 400 else."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaError(f"expected application/json, got {media_type!r}")
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as error:
        raise BadRequestError(
            "the request body is invalid", _problems(error.errors())
        ) from error


def _problems(errors: list[Any]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for error in errors:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        problems.setdefault(where, []).append(str(error["msg"]))
    return problems


def unix_query(request: Request, name: str) -> int | None:
    """A unix-seconds query parameter (int64 >= 0), or None when absent."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise BadRequestError(f"{name} must be unix seconds", {name: [text]}) from None
    if value < 0:
        raise BadRequestError(f"{name} must not be negative", {name: [text]})
    return value


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
