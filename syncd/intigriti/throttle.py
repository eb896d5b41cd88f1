"""The shared rate limiter on the Intigriti client's httpx hooks.

Every request, the client's own and its retries, waits for the limiter; a
429, or a 403 or 503 with ``Retry-After`` (API.md section 7), pauses every
worker that shares it for as long as Intigriti asked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from syncd.intigriti.transport import parse_retry_after

DEFAULT_PAUSE_SECONDS = 1.0
"""When a throttle names no readable ``Retry-After``."""


class Limiter(Protocol):
    def acquire(self) -> float: ...

    def pause(self, seconds: float) -> None: ...


def throttled_status(response: httpx.Response) -> bool:
    status = response.status_code
    return status == 429 or (status in (403, 503) and "Retry-After" in response.headers)


def limiter_hooks(limiter: Limiter) -> dict[str, list[Callable[..., Any]]]:
    """httpx ``event_hooks`` that hold requests to the shared rate."""

    def before(request: httpx.Request) -> None:
        limiter.acquire()

    def after(response: httpx.Response) -> None:
        if not throttled_status(response):
            return
        seconds = parse_retry_after(
            response.headers.get("Retry-After"), datetime.now(UTC)
        )
        limiter.pause(DEFAULT_PAUSE_SECONDS if seconds is None else seconds)

    return {"request": [before], "response": [after]}
