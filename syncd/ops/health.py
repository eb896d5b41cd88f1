"""Which dependencies answered recently: the state behind ``/readyz``.

The clients' request hooks and the worker loop report each answer with
``answered(name)``; nothing here does I/O. A dependency is ready when it
answered within the readiness window. Any HTTP answer below 500 counts (a
404 or a 401 still proves the service is up); 5xx and transport errors do
not. ``probes`` are cheap calls the worker makes for a dependency that has
been quiet for half the window, so a day without changes stays ready.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import structlog

log = structlog.get_logger("syncd.ops.health")

REDIS = "redis"
INTIGRITI = "intigriti"
JIRA = "jira"
DEPENDENCIES = (REDIS, INTIGRITI, JIRA)

Probe = Callable[[], object]


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    ready: bool
    seconds_since_answer: float | None
    """None when the dependency never answered."""


class Health:
    """Last answer per dependency; thread-safe."""

    def __init__(
        self,
        window_seconds: float,
        dependencies: Iterable[str] = DEPENDENCIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_seconds = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._answered: dict[str, float | None] = dict.fromkeys(dependencies)
        self._probes: dict[str, Probe] = {}
        self._ready_before: bool | None = None

    def answered(self, name: str) -> None:
        """``name`` just answered a request."""
        now = self._clock()
        with self._lock:
            self._answered[name] = now

    def set_probes(self, probes: Mapping[str, Probe]) -> None:
        with self._lock:
            self._probes = dict(probes)

    def statuses(self) -> list[DependencyStatus]:
        now = self._clock()
        with self._lock:
            answered = dict(self._answered)
        return [
            DependencyStatus(
                name,
                at is not None and now - at <= self.window_seconds,
                None if at is None else round(now - at, 3),
            )
            for name, at in answered.items()
        ]

    def ready(self) -> bool:
        ready = all(status.ready for status in self.statuses())
        if ready != self._ready_before:
            # Health is logged only when it changes.
            self._ready_before = ready
            log.info("ops.readiness_changed", ready=ready)
        return ready

    def probe_quiet(self) -> None:
        """Call the probe of each dependency quiet for half the window."""
        now = self._clock()
        with self._lock:
            quiet = [
                (name, probe)
                for name, probe in self._probes.items()
                if (at := self._answered.get(name)) is None
                or now - at > self.window_seconds / 2
            ]
        for name, probe in quiet:
            # A probe runs on the loop's thread: whatever it raises (Redis'
            # own errors under a rate limiter, say), the daemon goes on.
            try:
                probe()
            except Exception as exc:  # noqa: BLE001
                log.warning(
                    "ops.probe_failed", dependency=name, error=type(exc).__name__
                )
                continue
            self.answered(name)
