"""Errors the simulator answers with, each carrying its HTTP status.

    SimError
    ├── BadRequestError        400 body, field or parameter rejected
    ├── UnauthorizedError      401 missing, expired, revoked or unknown token
    ├── ForbiddenError         403 token lacks the scope
    ├── NotFoundError          404 no such submission, program, tag or file
    ├── ConflictError          409 the state machine refuses the move
    └── UnsupportedMediaError  415 body is not application/json

Routes raise them; the app turns each into an ErrorModel body, the error
shape the OpenAPI document declares (`identifier, title, status, code,
extraParameters`).
"""

from __future__ import annotations

import uuid
from typing import Any


class SimError(Exception):
    status = 500
    code = "SERVER_ERROR"

    def __init__(self, title: str, extra: dict[str, list[str]] | None = None) -> None:
        super().__init__(title)
        self.title = title
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.code, self.title, self.extra)


class BadRequestError(SimError):
    status = 400
    code = "VALIDATION_FAILED"


class UnauthorizedError(SimError):
    status = 401
    code = "UNAUTHORIZED"


class ForbiddenError(SimError):
    status = 403
    code = "FORBIDDEN"


class NotFoundError(SimError):
    status = 404
    code = "NOT_FOUND"


class ConflictError(SimError):
    status = 409
    code = "STATE_CONFLICT"


class UnsupportedMediaError(SimError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


def error_body(
    status: int, code: str, title: str, extra: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {
        "identifier": str(uuid.uuid4()),
        "title": title,
        "status": status,
        "code": code,
        "extraParameters": extra,
    }
