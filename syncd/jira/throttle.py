"""The shared rate limiter under the ``jira`` library's ``requests`` session.

A transport adapter sees every request the library and ``JiraClient._send``
make. It waits for the limiter before sending; after a 429, or a 503 with
``Retry-After`` (BEHAVIOUR.md, "Limits and failures"), it pauses every worker
sharing the limiter for as long as Jira asked, in either form of the header.
"""

from __future__ import annotations

from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

from syncd.jira.client import JiraClient
from syncd.jira.errors import retry_after_seconds

DEFAULT_PAUSE_SECONDS = 1.0


class Limiter(Protocol):
    def acquire(self) -> float: ...

    def pause(self, seconds: float) -> None: ...


class ThrottledAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that asks the limiter before each request."""

    def __init__(self, limiter: Limiter, pool_size: int) -> None:
        super().__init__(pool_connections=4, pool_maxsize=pool_size)
        self._limiter = limiter

    def send(  # type: ignore[override]  # requests' own signature is untyped kwargs
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        self._limiter.acquire()
        response = super().send(request, **kwargs)
        status = response.status_code
        if status == 429 or (status == 503 and "Retry-After" in response.headers):
            seconds = retry_after_seconds(response.headers)
            self._limiter.pause(DEFAULT_PAUSE_SECONDS if seconds is None else seconds)
        return response


def install_limiter(jira: JiraClient, limiter: Limiter, pool_size: int) -> None:
    """Route every request of ``jira`` through the limiter.

    The library builds its session itself, so the adapter is mounted on it
    afterwards; both schemes, since a site may redirect.
    """
    adapter = ThrottledAdapter(limiter, pool_size)
    session = jira._jira._session
    session.mount("https://", adapter)
    session.mount("http://", adapter)
