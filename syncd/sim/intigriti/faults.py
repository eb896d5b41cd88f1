"""Injected faults: latency, 5xx errors, throttling and dropped connections.

Each request whose path matches the filter draws one number from a seeded
RNG, so a run with the same settings and the same request order sees the same
faults. `/_sim/` paths are never touched: a test must always be able to read
the log and switch faults off.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_body

CONTROL_PREFIX = "/_sim/"
Outcome = Literal["error", "throttle", "drop"]


class FaultSettings(BaseModel):
    """What `PUT /_sim/faults` accepts; rates are fractions of requests."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=500, le=599)
    throttle_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    throttle_status: Literal[429, 403] = 429
    retry_after: int = Field(default=1, ge=0)
    retry_after_form: Literal["seconds", "http-date"] = "seconds"
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    path: str | None = None  # a regular expression searched in the path
    seed: int | None = None  # None: the tenant's seed

    @model_validator(mode="after")
    def _rates_fit(self) -> FaultSettings:
        if self.error_rate + self.throttle_rate + self.drop_rate > 1.0:
            raise ValueError("error_rate + throttle_rate + drop_rate exceed 1")
        if self.path is not None:
            re.compile(self.path)
        return self


@dataclass(frozen=True)
class Decision:
    latency_s: float
    outcome: Outcome | None


class FaultInjector:
    """The active settings and their RNG, guarded by the store's lock."""

    def __init__(self, lock: threading.RLock, default_seed: int) -> None:
        self._lock = lock
        self._default_seed = default_seed
        self._settings = FaultSettings()
        self._rng = random.Random(default_seed)

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return self._settings

    def set(self, settings: FaultSettings) -> None:
        seed = self._default_seed if settings.seed is None else settings.seed
        with self._lock:
            self._settings = settings
            self._rng = random.Random(seed)

    def clear(self) -> None:
        self.set(FaultSettings())

    def decide(self, path: str) -> Decision:
        with self._lock:
            settings = self._settings
            if settings.path is not None and not re.search(settings.path, path):
                return Decision(0.0, None)
            draw = self._rng.random()
        latency = settings.latency_ms / 1000
        for outcome, rate in (
            ("drop", settings.drop_rate),
            ("error", settings.error_rate),
            ("throttle", settings.throttle_rate),
        ):
            if draw < rate:
                return Decision(latency, outcome)  # type: ignore[arg-type]
            draw -= rate
        return Decision(latency, None)


class FaultMiddleware:
    """ASGI middleware that applies the injector's decision to each request."""

    def __init__(
        self, app: ASGIApp, injector: FaultInjector, clock: Callable[[], float]
    ) -> None:
        self.app = app
        self.injector = injector
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return

        decision = self.injector.decide(path)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        scope["sim_fault"] = decision.outcome
        if decision.outcome is None:
            await self.app(scope, receive, send)
        elif decision.outcome == "drop":
            await _drop(send)
        else:
            await self._answer(decision.outcome, send)

    async def _answer(self, outcome: Outcome, send: Send) -> None:
        settings = self.injector.settings
        headers = [(b"content-type", b"application/json")]
        if outcome == "error":
            status = settings.error_status
            body = error_body(status, "SERVER_ERROR", "injected server error")
        else:
            status = settings.throttle_status
            body = error_body(status, "TOO_MANY_REQUESTS", "injected throttling")
            headers.append((b"retry-after", self._retry_after(settings).encode()))
        payload = json.dumps(body).encode()
        headers.append((b"content-length", str(len(payload)).encode()))
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": payload})

    def _retry_after(self, settings: FaultSettings) -> str:
        if settings.retry_after_form == "seconds":
            return str(settings.retry_after)
        return formatdate(self.clock() + settings.retry_after, usegmt=True)


async def _drop(send: Send) -> None:
    """Promise a body, send part of it and stop: the server then closes the
    connection, and the client sees a response cut short."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"4096"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"[{", "more_body": True})
