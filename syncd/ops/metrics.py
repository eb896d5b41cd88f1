"""Prometheus metrics of one syncd process, in a registry of its own.

Counters and histograms are fed as things happen (the worker after each
cycle, the clients' request hooks, the webhook receivers). What lives in
Redis or in another object (quarantine size, cursor lag, token refreshes,
readiness) is read when Prometheus scrapes, so it is never stale and costs
nothing between scrapes.

Names and labels (all prefixed ``syncd_``)::

    submissions_synced_total{outcome}       created|updated|unchanged|
                                            quarantined|deferred
    errors_total{source,kind}               kind: a syncd.errors class name
    api_request_duration_seconds{api,method}  histogram; api: intigriti|jira
    sync_cycle_duration_seconds             histogram
    webhook_deliveries_total{source,result} accepted|ignored|bad_signature|stale|
                                            replayed|malformed|dropped
    quarantined_submissions                 gauge, read from Redis
    cursor_lag_seconds                      gauge: now - the submissions cursor
    token_refreshes_total                   Intigriti tokens fetched by this process
    dependency_up{dependency}               1 when it answered within the window
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from syncd.engine import CycleReport, Outcome
from syncd.errors import SyncdError
from syncd.ops.health import Health

log = structlog.get_logger("syncd.ops.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_API_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CYCLE_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass(frozen=True)
class StateSnapshot:
    """What the scrape reads from Redis."""

    quarantined: int
    cursor: int | None
    """The submissions cursor, unix seconds; None before the first cycle."""


StateReader = Callable[[], StateSnapshot]
"""Reads the snapshot; raises SyncdError when Redis does not answer."""


class Metrics:
    """The counters syncd updates, and the registry ``/metrics`` renders."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.synced = Counter(
            "syncd_submissions_synced",
            "Submissions handled, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.errors = Counter(
            "syncd_errors",
            "Errors, by where they were seen and their kind.",
            ["source", "kind"],
            registry=self.registry,
        )
        self.api_latency = Histogram(
            "syncd_api_request_duration_seconds",
            "Time to the response headers of one API request.",
            ["api", "method"],
            buckets=_API_BUCKETS,
            registry=self.registry,
        )
        self.cycle_duration = Histogram(
            "syncd_sync_cycle_duration_seconds",
            "Duration of one sync cycle.",
            buckets=_CYCLE_BUCKETS,
            registry=self.registry,
        )
        self.webhooks = Counter(
            "syncd_webhook_deliveries",
            "Webhook deliveries, by sender and what was done with them.",
            ["source", "result"],
            registry=self.registry,
        )
        for outcome in Outcome:
            self.synced.labels(outcome=outcome.value)

    def attach(
        self,
        *,
        state: StateReader | None = None,
        token_refreshes: Callable[[], int] | None = None,
        health: Health | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Register the values read at scrape time."""
        self.registry.register(_ScrapeTime(state, token_refreshes, health, clock))

    def record_cycle(self, report: CycleReport) -> None:
        """Count a finished cycle's outcomes."""
        for outcome, count in report.outcomes.items():
            self.synced.labels(outcome=outcome.value).inc(count)
        self.cycle_duration.observe(report.seconds)

    def record_outcome(self, outcome: Outcome) -> None:
        """Count one submission synced outside a cycle (a webhook's trigger)."""
        self.synced.labels(outcome=outcome.value).inc()

    def record_error(self, source: str, kind: str) -> None:
        self.errors.labels(source=source, kind=kind).inc()

    def observe_request(self, api: str, method: str, seconds: float) -> None:
        self.api_latency.labels(api=api, method=method.upper()).observe(seconds)

    def record_webhook(self, source: str, result: str) -> None:
        self.webhooks.labels(source=source, result=result).inc()

    def render(self) -> bytes:
        """The text exposition format, for ``/metrics``."""
        return generate_latest(self.registry)


class _ScrapeTime(Collector):
    """Gauges and counters whose value lives elsewhere."""

    def __init__(
        self,
        state: StateReader | None,
        token_refreshes: Callable[[], int] | None,
        health: Health | None,
        clock: Callable[[], float],
    ) -> None:
        self._state = state
        self._token_refreshes = token_refreshes
        self._health = health
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        # Described up front so the registry does not collect (and read
        # Redis) when the collector is registered.
        return iter(())

    def collect(self) -> Iterator[Metric]:
        if self._token_refreshes is not None:
            refreshes = CounterMetricFamily(
                "syncd_token_refreshes",
                "Intigriti access tokens this process fetched.",
            )
            refreshes.add_metric([], self._token_refreshes())
            yield refreshes
        if self._health is not None:
            up = GaugeMetricFamily(
                "syncd_dependency_up",
                "1 when the dependency answered within the readiness window.",
                labels=["dependency"],
            )
            for status in self._health.statuses():
                up.add_metric([status.name], 1.0 if status.ready else 0.0)
            yield up
        if self._state is not None:
            yield from self._state_metrics(self._state)

    def _state_metrics(self, read: StateReader) -> Iterator[Metric]:
        try:
            snapshot = read()
        except SyncdError as exc:
            log.warning("ops.metrics_state_unreadable", error=type(exc).__name__)
            return
        quarantined = GaugeMetricFamily(
            "syncd_quarantined_submissions",
            "Submissions in quarantine (the dead letters), read from Redis.",
        )
        quarantined.add_metric([], snapshot.quarantined)
        yield quarantined
        if snapshot.cursor is not None:
            lag = GaugeMetricFamily(
                "syncd_cursor_lag_seconds",
                "Seconds between now and the submissions cursor.",
            )
            lag.add_metric([], max(0.0, self._clock() - snapshot.cursor))
            yield lag
