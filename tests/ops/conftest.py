"""Fixtures for the operations layer: an app over a real Redis, fixed secrets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import redis
from pydantic import SecretStr
from starlette.applications import Starlette

from syncd.ops.health import Health
from syncd.ops.metrics import Metrics
from syncd.ops.server import OpsServer
from syncd.ops.triggers import SyncRequest
from syncd.ops.webhooks import IntigritiReceiver, JiraReceiver, ReplayCache

INTIGRITI_SECRET = "intigriti-webhook-secret"
JIRA_SECRET = "jira-webhook-secret"
WINDOW = 300
NOW = 1_800_000_000.0


@contextmanager
def serve(app: Starlette) -> Iterator[httpx.Client]:
    """Serve ``app`` on a free loopback port; a client that talks to it."""
    with (
        OpsServer(app, "127.0.0.1", 0) as server,
        httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client,
    ):
        yield client


class Recorder:
    """A trigger that remembers what it was asked to sync."""

    def __init__(self) -> None:
        self.requests: list[SyncRequest] = []

    def __call__(self, request: SyncRequest) -> bool:
        self.requests.append(request)
        return True


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def intigriti_receiver(
    redis_client: redis.Redis, recorder: Recorder, metrics: Metrics
) -> IntigritiReceiver:
    return IntigritiReceiver(
        secret=SecretStr(INTIGRITI_SECRET),
        replay=ReplayCache(redis_client, "test", ttl_seconds=2 * WINDOW),
        trigger=recorder,
        metrics=metrics,
        window_seconds=WINDOW,
        max_body_bytes=4096,
        clock=lambda: NOW,
    )


@pytest.fixture
def jira_receiver(recorder: Recorder, metrics: Metrics) -> JiraReceiver:
    return JiraReceiver(
        secret=SecretStr(JIRA_SECRET),
        trigger=recorder,
        metrics=metrics,
        max_body_bytes=4096,
        own_account="bot-account",
    )


@pytest.fixture
def health() -> Health:
    return Health(window_seconds=60.0)
