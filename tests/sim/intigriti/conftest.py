"""Fixtures: a simulator on loopback and clients whose every v2.1/v2
response is checked against the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from syncd.sim.intigriti import IntigritiSimConfig, IntigritiStore, create_app
from syncd.sim.server import ServerThread
from tests.openapi_spec import validate_response

STATIC_TOKEN = "syncd-sim-static-token"


class FakeClock:
    """A clock tests move by hand, so expiry needs no sleeping."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sim:
    url: str
    store: IntigritiStore
    client: httpx.Client
    validated: list[str] = field(default_factory=list)
    clients: list[httpx.Client] = field(default_factory=list)

    def api(self, token: str = STATIC_TOKEN) -> httpx.Client:
        """Another validating client, closed with the simulator."""
        client = _client(self.url, self.validated, token)
        self.clients.append(client)
        return client


def _client(url: str, validated: list[str], token: str | None) -> httpx.Client:
    def check(response: httpx.Response) -> None:
        if validate_response(response):
            validated.append(f"{response.request.method} {response.request.url.path}")

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=url, headers=headers, timeout=10, event_hooks={"response": [check]}
    )


SimFactory = Callable[..., Sim]


@pytest.fixture
def make_sim() -> Iterator[SimFactory]:
    """Start simulators with a given config (and optional clock)."""
    started: list[tuple[ServerThread, Sim]] = []

    def start(clock: Callable[[], float] | None = None, **options: object) -> Sim:
        config = IntigritiSimConfig.model_validate({"size": 12, **options})
        app = create_app(config, clock) if clock else create_app(config)
        server = ServerThread(app).start()
        validated: list[str] = []
        sim = Sim(
            server.url, app.state.sim, _client(server.url, validated, STATIC_TOKEN)
        )
        sim.validated = validated
        started.append((server, sim))
        return sim

    yield start
    for server, sim in started:
        for client in [sim.client, *sim.clients]:
            client.close()
        sim.store.close()
        server.stop()


@pytest.fixture
def sim(make_sim: SimFactory) -> Sim:
    return make_sim()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
