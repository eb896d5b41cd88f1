"""The one error the simulator raises, rendered in Jira's error shape."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class JiraApiError(Exception):
    """A request Jira would refuse: status plus `errorMessages`/`errors`."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, messages, errors)
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def bad_request(field: str | None = None, message: str = "") -> JiraApiError:
    if field is None:
        return JiraApiError(400, [message])
    return JiraApiError(400, errors={field: message})


def not_found(message: str) -> JiraApiError:
    return JiraApiError(404, [message])


def not_on_screen(field: str) -> JiraApiError:
    message = (
        f"Field '{field}' cannot be set. It is not on the appropriate screen, "
        "or unknown."
    )
    return bad_request(field, message)
