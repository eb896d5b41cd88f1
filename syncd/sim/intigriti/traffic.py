"""The request log and the counters tests read through `/_sim/requests`.

Every request outside `/_sim/` is recorded with the status it got (0 when the
connection was dropped) and counted under its route template, so a test can
assert "exactly one refresh" or "one GET of the submission list".
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import CONTROL_PREFIX


class RequestLog:
    """Requests seen, guarded by the store's lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._entries: list[dict[str, Any]] = []
        self._by_route: Counter[str] = Counter()

    def record(self, entry: dict[str, Any], route: str) -> None:
        with self._lock:
            self._entries.append(entry)
            self._by_route[route] += 1

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def by_route(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_route)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_route.clear()


class LogMiddleware:
    """Outermost middleware: sees the final status, faults included."""

    def __init__(
        self,
        app: ASGIApp,
        log: RequestLog,
        routes: Sequence[BaseRoute],
        clock: Callable[[], float],
    ) -> None:
        self.app = app
        self.log = log
        self.routes = routes
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return

        status = 0
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            fault = scope.get("sim_fault")
            entry = {
                "method": scope["method"],
                "path": path,
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": 0 if fault == "drop" else status,
                "at": self.clock(),
                "fault": fault,
            }
            self.log.record(entry, f"{scope['method']} {self._template(scope)}")

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get(
                "more_body", False
            ):
                # Logged before the last byte leaves, so a client that reads
                # the log right after its answer always finds its request.
                record()
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            record()

    def _template(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", scope["path"]))
        return str(scope["path"])
