"""The poll loop: it outlives Redis restarts and honours Retry-After."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import redis
from structlog.testing import capture_logs

from syncd.engine import CycleReport
from syncd.errors import RateLimited
from syncd.runtime import open_runtime
from syncd.sim.redis_server import RedisServer
from syncd.sim.runner import Simulators
from syncd.worker import run_forever

from .conftest import MAPPING_DIR, settings_from_env


class Throttled:
    """An engine whose every cycle is refused with a Retry-After."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self.started: list[float] = []

    def run_cycle(self, *, stop: threading.Event | None = None) -> CycleReport:
        self.started.append(time.monotonic())
        raise RateLimited(
            "Intigriti list_submissions answered HTTP 429", self.retry_after
        )


def test_a_rate_limited_cycle_waits_for_retry_after() -> None:
    engine = Throttled(retry_after=0.6)

    run_forever(
        engine,  # type: ignore[arg-type]
        interval_seconds=0.05,
        stop=threading.Event(),
        max_cycles=2,
    )

    first, second = engine.started
    assert second - first >= 0.6


class Unreachable:
    """An engine whose every cycle finds Redis gone."""

    def run_cycle(self, *, stop: threading.Event | None = None) -> CycleReport:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:1.")


def test_a_redis_outage_is_retried_every_interval_not_ever_later() -> None:
    # A long outage must not leave the loop asleep for minutes once Redis
    # is back: the wait stays the poll interval.
    with capture_logs() as logs:
        run_forever(
            Unreachable(),  # type: ignore[arg-type]
            interval_seconds=0.2,
            stop=threading.Event(),
            max_cycles=5,
        )

    waits = [
        e["wait_seconds"] for e in logs if e["event"] == "worker.redis_unavailable"
    ]
    assert waits == [0.2] * 5


def test_the_loop_survives_a_redis_restart_and_loses_nothing(
    simulators: Simulators, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "redis", persistent=True).start()
    env = simulators.settings_env(server.url, MAPPING_DIR / "default.yaml")
    settings = settings_from_env(env)
    stop = threading.Event()
    count = len(simulators.intigriti.submissions())
    try:
        with capture_logs() as logs, open_runtime(settings) as runtime:
            loop = threading.Thread(
                target=run_forever,
                args=(runtime.engine,),
                kwargs={"interval_seconds": 0.2, "stop": stop},
            )
            loop.start()
            _wait_for(lambda: runtime.state.link_count() == count)
            server.stop()
            _wait_for(
                lambda: any(e["event"] == "worker.redis_unavailable" for e in logs)
            )
            server.start()
            code = simulators.intigriti.submissions()[0].code
            simulators.intigriti.update_submission(code, {"title": "After restart"})
            _wait_for(lambda: _updated(logs) >= 1)
            stop.set()
            loop.join(timeout=10)
            links = runtime.state.link_count()
    finally:
        stop.set()
        server.stop()

    creates = [
        e
        for e in simulators.jira.requests()
        if (e["method"], e["path"]) == ("POST", "/rest/api/3/issue")
    ]
    assert not loop.is_alive()
    assert links == count
    assert len(creates) == count
    assert not any(e["event"] == "worker.cycle_crashed" for e in logs)


def _updated(logs: list[MutableMapping[str, Any]]) -> int:
    return sum(
        1
        for entry in logs
        if entry["event"] == "sync.submission_synced" and entry["outcome"] == "updated"
    )


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)
