"""Request hooks on the two API clients: latency, error kinds, readiness.

Where the hooks sit, and why there:

- Intigriti: httpx ``event_hooks`` on the client's own ``httpx.Client``. A
  request hook stamps the start time into ``request.extensions``, the
  response hook reads it when the headers arrive. Every attempt of a retry
  and the 401-then-refresh resend is one observation, as each is a request.
- Jira: a ``response`` hook on the ``requests`` session inside the ``jira``
  library. Both the library's calls and ``JiraClient._send`` go through that
  session, and ``requests`` sets ``response.elapsed`` before hooks run.

Neither hook sees a request that got no response (a refused connection, a
timeout): those surface as errors in the worker's counters instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import requests

from syncd.ops.health import INTIGRITI, JIRA, Health
from syncd.ops.metrics import Metrics

_STARTED = "syncd.started"


def error_kind(status: int) -> str | None:
    """The ``syncd.errors`` class a status code stands for; None for success."""
    if status < 400:
        return None
    if status == 429:
        return "RateLimited"
    if status in (401, 403):
        return "AuthError"
    if status == 404:
        return "NotFoundError"
    if status >= 500:
        return "ServiceUnavailable"
    return "RejectedError"


class RequestObserver:
    """Turns one observed response into metrics, readiness and a heartbeat."""

    def __init__(
        self,
        metrics: Metrics,
        health: Health,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self._metrics = metrics
        self._health = health
        self._on_progress = on_progress

    def observe(self, api: str, method: str, seconds: float, status: int) -> None:
        self._metrics.observe_request(api, method, seconds)
        kind = error_kind(status)
        if kind is not None:
            self._metrics.record_error(api, kind)
        if status < 500:
            self._health.answered(api)
        if self._on_progress is not None:
            self._on_progress()

    def httpx_hooks(self, api: str = INTIGRITI) -> dict[str, list[Callable[..., Any]]]:
        """``event_hooks`` for an ``httpx.Client``."""

        def on_request(request: httpx.Request) -> None:
            request.extensions[_STARTED] = time.monotonic()

        def on_response(response: httpx.Response) -> None:
            request = response.request
            started = request.extensions.get(_STARTED)
            seconds = 0.0 if started is None else time.monotonic() - started
            self.observe(api, request.method, seconds, response.status_code)

        return {"request": [on_request], "response": [on_response]}

    def requests_hook(self, api: str = JIRA) -> Callable[..., requests.Response]:
        """A ``response`` hook for a ``requests.Session``."""

        def on_response(
            response: requests.Response, *args: Any, **kwargs: Any
        ) -> requests.Response:
            method = response.request.method or "GET"
            seconds = response.elapsed.total_seconds()
            self.observe(api, method, seconds, response.status_code)
            return response

        return on_response
