"""/healthz, /readyz and /metrics over real HTTP."""

from __future__ import annotations

import redis

from syncd.ops.health import Health
from syncd.ops.metrics import Metrics, StateSnapshot
from syncd.ops.server import create_app

from .conftest import serve


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_healthz_answers_while_the_process_serves(
    health: Health, metrics: Metrics
) -> None:
    with serve(create_app(health, metrics)) as client:
        response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "alive"})


def test_readyz_is_503_until_every_dependency_answered() -> None:
    clock = Clock()
    health = Health(window_seconds=60, clock=clock)
    health.answered("redis")
    health.answered("jira")

    with serve(create_app(health, Metrics())) as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["dependencies"]["intigriti"] == {
        "ready": False,
        "seconds_since_answer": None,
    }


def test_readyz_is_200_while_answers_are_recent_and_503_after_the_window() -> None:
    clock = Clock()
    health = Health(window_seconds=60, clock=clock)
    for name in ("redis", "intigriti", "jira"):
        health.answered(name)

    with serve(create_app(health, Metrics())) as client:
        clock.now += 59
        fresh = client.get("/readyz")
        clock.now += 2
        stale = client.get("/readyz")

    assert fresh.status_code == 200
    assert fresh.json()["ready"] is True
    assert stale.status_code == 503
    assert stale.json()["dependencies"]["redis"]["seconds_since_answer"] == 61.0


def test_a_quiet_dependency_is_probed_and_a_failing_probe_keeps_it_unready() -> None:
    from syncd.errors import ServiceUnavailable

    clock = Clock()
    health = Health(window_seconds=60, clock=clock)
    calls: list[str] = []

    def broken() -> None:
        calls.append("jira")
        raise ServiceUnavailable("down")

    health.set_probes({"redis": lambda: calls.append("redis"), "jira": broken})

    health.probe_quiet()

    assert calls == ["redis", "jira"]
    assert {s.name: s.ready for s in health.statuses()} == {
        "redis": True,
        "intigriti": False,
        "jira": False,
    }


def test_metrics_render_the_prometheus_text_format_with_scrape_time_values() -> None:
    metrics = Metrics()
    health = Health(window_seconds=60)
    health.answered("redis")
    metrics.attach(
        state=lambda: StateSnapshot(quarantined=3, cursor=1_000),
        token_refreshes=lambda: 2,
        health=health,
        clock=lambda: 1_090.0,
    )

    with serve(create_app(health, metrics)) as client:
        response = client.get("/metrics")

    text = response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "syncd_quarantined_submissions 3.0" in text
    assert "syncd_cursor_lag_seconds 90.0" in text
    assert "syncd_token_refreshes_total 2.0" in text
    assert 'syncd_dependency_up{dependency="redis"} 1.0' in text
    assert 'syncd_dependency_up{dependency="jira"} 0.0' in text
    assert 'syncd_submissions_synced_total{outcome="created"} 0.0' in text


def test_a_probe_that_raises_anything_leaves_the_daemon_running() -> None:
    # Redis down under the Jira probe: the rate limiter raises redis' own
    # error before any request; the loop that ticks the probes must go on.
    health = Health(window_seconds=60, clock=Clock())

    def redis_gone() -> None:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    health.set_probes({"redis": redis_gone, "jira": redis_gone})

    health.probe_quiet()

    assert not any(status.ready for status in health.statuses())
