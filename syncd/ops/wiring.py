"""What ``syncd run`` adds beside the worker loop, built from one Settings.

``Operations`` owns the metrics, the readiness state, the trigger queue and
the notifier; ``serving(runtime)`` hooks them to the runtime's clients and
runs the HTTP server for as long as the loop runs. It is also the loop's
``LoopObserver``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import redis
import structlog
from starlette.applications import Starlette

from syncd.engine import SUBMISSIONS_CURSOR, CycleReport, Outcome
from syncd.errors import ServiceUnavailable, SyncdError
from syncd.ops.health import INTIGRITI, JIRA, REDIS, Health
from syncd.ops.instrument import RequestObserver
from syncd.ops.metrics import Metrics, StateSnapshot
from syncd.ops.notify import Notifier
from syncd.ops.server import OpsServer, create_app
from syncd.ops.triggers import TriggerQueue
from syncd.ops.webhooks import IntigritiReceiver, JiraReceiver, ReplayCache
from syncd.runtime import Runtime
from syncd.settings import Settings

log = structlog.get_logger("syncd.ops")

PROBE_EVERY_SECONDS = 10.0

T = TypeVar("T")


def _redis_call(step: Callable[[], T]) -> T:
    try:
        return step()
    except redis.RedisError as exc:
        raise ServiceUnavailable(
            f"Redis did not answer ({type(exc).__name__})"
        ) from None


class Operations:
    """Metrics, readiness, webhooks and systemd, around one runtime."""

    def __init__(
        self,
        settings: Settings,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.health = Health(settings.http.readiness_window_seconds, clock=clock)
        self.triggers = TriggerQueue()
        self.notifier = notifier or Notifier(None)
        self._clock = clock
        self._probed_at: float | None = None

    # -- wiring ----------------------------------------------------------------

    def attach(self, runtime: Runtime) -> None:
        """Hook metrics and readiness to the runtime's clients and Redis."""
        observer = RequestObserver(
            self.metrics, self.health, on_progress=self.notifier.watchdog
        )
        runtime.intigriti.add_event_hooks(observer.httpx_hooks(INTIGRITI))
        runtime.jira.add_response_hook(observer.requests_hook(JIRA))

        state = runtime.state
        self.metrics.attach(
            state=lambda: _redis_call(
                lambda: StateSnapshot(
                    quarantined=len(state.quarantined()),
                    cursor=state.cursor(SUBMISSIONS_CURSOR),
                )
            ),
            token_refreshes=lambda: runtime.tokens.refresh_count,
            health=self.health,
        )
        self.health.set_probes(
            {
                REDIS: lambda: _redis_call(runtime.redis.ping),
                INTIGRITI: runtime.intigriti.list_programs,
                JIRA: runtime.jira.myself,
            }
        )
        # open_runtime has just pinged Redis and read Jira's serverInfo.
        self.health.answered(REDIS)
        self.health.answered(JIRA)

    def app(self, runtime: Runtime) -> Starlette:
        """The HTTP app, with each receiver whose secret is configured."""
        hooks = self.settings.webhooks
        limit = self.settings.http.max_body_bytes
        intigriti = jira = None
        if hooks.intigriti_secret is not None:
            intigriti = IntigritiReceiver(
                secret=hooks.intigriti_secret,
                replay=ReplayCache(
                    runtime.redis,
                    self.settings.redis.key_prefix,
                    ttl_seconds=2 * hooks.replay_window_seconds,
                ),
                trigger=self.triggers,
                metrics=self.metrics,
                window_seconds=hooks.replay_window_seconds,
                max_body_bytes=limit,
            )
        if hooks.jira_secret is not None:
            jira = JiraReceiver(
                secret=hooks.jira_secret,
                trigger=self.triggers,
                metrics=self.metrics,
                max_body_bytes=limit,
                own_account=self._own_account(runtime),
            )
        return create_app(
            self.health, self.metrics, intigriti_webhook=intigriti, jira_webhook=jira
        )

    @contextmanager
    def serving(self, runtime: Runtime) -> Iterator[OpsServer | None]:
        """Attach to ``runtime`` and serve HTTP (when enabled) until the exit."""
        self.attach(runtime)
        http = self.settings.http
        if not http.enabled:
            yield None
            return
        with OpsServer(self.app(runtime), http.host, http.port) as server:
            yield server

    def _own_account(self, runtime: Runtime) -> str | None:
        try:
            return runtime.jira.myself()
        except SyncdError as exc:
            log.warning("ops.own_account_unknown", error=type(exc).__name__)
            return None

    # -- LoopObserver ----------------------------------------------------------

    def cycle_finished(self, report: CycleReport) -> None:
        self.metrics.record_cycle(report)
        self.health.answered(REDIS)  # the cycle read and moved the cursor
        self.notifier.watchdog()

    def failed(self, source: str, kind: str) -> None:
        self.metrics.record_error(source, kind)

    def item_synced(self, outcome: Outcome) -> None:
        self.metrics.record_outcome(outcome)

    def tick(self) -> None:
        self.notifier.watchdog()
        now = self._clock()
        if self._probed_at is None or now - self._probed_at >= PROBE_EVERY_SECONDS:
            self._probed_at = now
            self.health.probe_quiet()
