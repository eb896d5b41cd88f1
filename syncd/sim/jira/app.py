"""The ASGI application: routes plus the gate every REST request passes.

The gate, in order: version check, authentication, rate limits, injected
faults, then the handler; every REST request is logged with its outcome.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncd.sim.jira import routes_control, routes_issues, routes_meta, routes_search
from syncd.sim.jira.auth import authenticate
from syncd.sim.jira.config import JiraSimConfig
from syncd.sim.jira.control import RequestRecord
from syncd.sim.jira.errors import JiraApiError
from syncd.sim.jira.store import JiraSimStore

_ANONYMOUS = {"/rest/api/{version}/serverInfo"}


class Gate:
    """ASGI middleware applying auth, limits, faults and the request log."""

    def __init__(self, app: ASGIApp, store: JiraSimStore, routes: list[BaseRoute]):
        self.app = app
        self.store = store
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        self.store.base_url = str(request.base_url).rstrip("/")
        template, params = self._match(scope)
        status = {"code": 500}
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.store.record(
                RequestRecord(
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode(),
                    status=status["code"],
                    user=user.name if user else None,
                    at=datetime.now(UTC).isoformat(),
                    template=template,
                )
            )

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body" and not message.get(
                "more_body", False
            ):
                # Logged before the last byte leaves, so a client that reads
                # the log right after its answer always finds its request.
                record()
            await send(message)

        user = authenticate(self.store.config, request.headers.get("authorization"))
        try:
            refusal = await self._refuse(scope, template, params, user)
            if refusal is not None:
                await refusal(scope, receive, logging_send)
            elif random.random() < self.store.faults.drop_rate:
                await _drop(logging_send)
            elif random.random() < self.store.faults.drop_after_rate:
                scope.setdefault("state", {})["user"] = user
                await self.app(scope, receive, _swallow)
                await _drop(logging_send)
            else:
                scope.setdefault("state", {})["user"] = user
                await self.app(scope, receive, logging_send)
        finally:
            record()

    def _match(self, scope: Scope) -> tuple[str | None, dict[str, Any]]:
        for route in self.routes:
            match, child = route.matches(scope)
            if match is not Match.NONE:
                return getattr(route, "path", None), child.get("path_params", {})
        return None, {}

    async def _refuse(
        self, scope: Scope, template: str | None, params: dict[str, Any], user: Any
    ) -> Response | None:
        store = self.store
        faults = store.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        version = params.get("version")
        if version is not None and version not in store.config.api_versions:
            return JiraApiError(404, [f"null for uri: {scope['path']}"]).response()
        if user is None and template not in _ANONYMOUS:
            message = (
                "You are not authenticated. Authentication required to perform "
                "this operation."
            )
            return JiraApiError(401, [message]).response()
        if user is not None and template is not None:
            with store.lock:
                refusal = store.limiter.check(
                    user.name, scope["method"], template, params.get("issue")
                )
            if refusal is not None:
                message = "Rate limit exceeded."
                return JiraApiError(
                    429, [message], headers=refusal.headers()
                ).response()
        if random.random() < faults.error_rate:
            headers = {}
            if faults.retry_after_s is not None:
                headers["Retry-After"] = str(faults.retry_after_s)
            message = "Service unavailable (simulated fault)."
            return JiraApiError(
                faults.error_status, [message], headers=headers
            ).response()
        return None


async def _swallow(message: Message) -> None:
    """Discard an answer: the request was handled, the client never hears."""


async def _drop(send: Send) -> None:
    """Promise a body and send half of it: the client sees a broken connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"64"),
            ],
        }
    )
    await send(
        {"type": "http.response.body", "body": b'{"partial":', "more_body": False}
    )


async def _jira_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, JiraApiError)
    return error.response()


async def _not_found(request: Request, error: Exception) -> Response:
    return JSONResponse(
        {"errorMessages": ["null for uri"], "errors": {}}, status_code=404
    )


def create_app(config: JiraSimConfig) -> Starlette:
    """Build a simulator for `config`; its store is `app.state.sim`."""
    store = JiraSimStore(config)
    routes: list[BaseRoute] = [
        *routes_control.ROUTES,
        *routes_meta.ROUTES,
        *routes_search.ROUTES,
        *routes_issues.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={JiraApiError: _jira_error, 404: _not_found},
    )
    app.state.sim = store
    app.add_middleware(Gate, store=store, routes=routes)
    return app
