"""Fixtures of the Intigriti client tests: the API.md section 9 samples."""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import redis

from syncd.intigriti import once
from syncd.settings import IntigritiSettings

SAMPLES = Path(__file__).parent / "samples"

# The overview keys of a list item (API.md section 9.1, last paragraph).
_OVERVIEW_KEYS = (
    "code",
    "originators",
    "internalReference",
    "title",
    "severity",
    "createdAt",
    "awaitingFeedback",
    "assignee",
    "tags",
    "groupId",
    "submitter",
    "webLinks",
)


@pytest.fixture
def sample() -> Callable[[str], Any]:
    """Load a fresh copy of one sample, by file stem."""

    def load(name: str) -> Any:
        return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))

    return load


@pytest.fixture
def overview_of() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The v2.1 list item a detail sample stands for."""

    def overview(detail: dict[str, Any]) -> dict[str, Any]:
        item = {key: copy.deepcopy(detail[key]) for key in _OVERVIEW_KEYS}
        item["state"] = {
            "status": detail["state"]["status"],
            "closeReason": detail["state"]["closeReason"],
        }
        item["totalPayout"] = detail["reward"]["totalPayout"]
        item["lastUpdatedAt"] = detail["lastUpdated"]["lastUpdatedAt"]
        item["destroyed"] = False
        item["collaboratorCount"] = 0
        return item

    return overview


@pytest.fixture(autouse=True)
def _fresh_once_memory() -> Iterator[None]:
    """Each test sees 'logged once' from a clean slate."""
    once.forget()
    yield
    once.forget()


class FakeIntigriti:
    """Token endpoint and API behind an ``httpx.MockTransport``, for unit tests.

    Access tokens are opaque counters; refresh tokens are single-use. API
    answers come from ``routes`` unless ``script`` holds canned answers.
    """

    api_url = "https://api.intigriti.test/external"
    token_url = "https://login.intigriti.test/connect/token"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.valid: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.grants: list[dict[str, str]] = []
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], Any] = {}
        self.script: list[httpx.Response | Exception] = []
        self.expires_in: int | None = 3600
        self.token_delay = 0.0
        self.token_status = 200
        self.on_grant: Callable[[dict[str, str]], None] | None = None
        self._numbers = itertools.count(1)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def http(self) -> httpx.Client:
        return httpx.Client(transport=self.transport)

    def settings(self, **overrides: Any) -> IntigritiSettings:
        values: dict[str, Any] = {
            "api_url": self.api_url,
            "token_url": self.token_url,
            "client_id": "syncd-test",
            "client_secret": "s3cret-client-value",
        }
        values.update(overrides)
        return IntigritiSettings(**values)

    def issue_refresh_token(self) -> str:
        token = f"refresh-{next(self._numbers)}"
        with self.lock:
            self.refresh_tokens.add(token)
        return token

    def revoke_all(self) -> None:
        with self.lock:
            self.valid.clear()

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url).startswith(self.api_url)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if str(request.url) == self.token_url:
            return self._token(request)
        return self._api(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        if self.on_grant is not None:
            self.on_grant(form)
        time.sleep(self.token_delay)
        with self.lock:
            self.grants.append(form)
            if self.token_status != 200:
                return httpx.Response(
                    self.token_status, json={"error": "invalid_client"}
                )
            if form["grant_type"] == "refresh_token":
                if form["refresh_token"] not in self.refresh_tokens:
                    return httpx.Response(400, json={"error": "invalid_grant"})
                self.refresh_tokens.discard(form["refresh_token"])
            access = f"access-{next(self._numbers)}"
            self.valid.add(access)
            body: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            if form["grant_type"] != "client_credentials":
                refresh = f"refresh-{next(self._numbers)}"
                self.refresh_tokens.add(refresh)
                body["refresh_token"] = refresh
        return httpx.Response(200, json=body)

    def _api(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            if token not in self.valid:
                return httpx.Response(401)
            answer = self.script.pop(0) if self.script else None
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer
        path = request.url.path.removeprefix(httpx.URL(self.api_url).path)
        body = self.routes.get((request.method, path), [])
        if body is None:
            return httpx.Response(204)
        return httpx.Response(200, json=body)


@pytest.fixture
def fake() -> FakeIntigriti:
    return FakeIntigriti()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()
