"""The poll loop of ``syncd run``, and how it stops.

The first SIGTERM or SIGINT sets an event: the cycle finishes the
submissions in hand, records its cursor and the loop returns. A second
signal exits at once.

Between cycles the loop waits on a ``TriggerQueue`` when webhooks feed one:
each queued item is synced at once (``ItemSyncer``), and the poll cycle
stays the reconciliation. An optional ``LoopObserver`` hears of every cycle
and item and is ticked every ``WAIT_SLICE_SECONDS`` while the loop waits
(metrics, readiness probes, the systemd watchdog).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType
from typing import Protocol

import redis
import structlog

from syncd.engine import CycleReport, Engine, Outcome
from syncd.errors import RateLimited, SyncdError
from syncd.ops.triggers import SyncRequest, TriggerQueue

log = structlog.get_logger("syncd.worker")

EXIT_ON_SECOND_SIGNAL = 130
MAX_BACKOFF_SECONDS = 300.0
WAIT_SLICE_SECONDS = 0.5


def install_stop_handlers(stop: threading.Event) -> None:
    """Make SIGTERM and SIGINT ask the loop to stop, and a second one force it."""

    # The handler runs between two bytecodes of the main thread, possibly
    # while that thread holds the log writer's lock: it must not log.
    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            os._exit(EXIT_ON_SECOND_SIGNAL)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


class LoopObserver(Protocol):
    """What the loop tells the operations layer."""

    def cycle_finished(self, report: CycleReport) -> None: ...

    def failed(self, source: str, kind: str) -> None: ...

    def item_synced(self, outcome: Outcome) -> None: ...

    def tick(self) -> None: ...


class ItemSyncer:
    """Syncs one webhook-named item now, outside the cycle.

    An Intigriti request names a submission code: its Jira issue is brought
    up to date. A Jira request names an issue id: its change is carried to
    Intigriti by ``Engine.sync_issue`` (receivers already dropped syncd's
    own events). The cursor is not touched: the next cycle sees the
    submission as unchanged.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self, request: SyncRequest) -> Outcome | None:
        if request.source == "jira":
            result = self._engine.sync_issue(request.key)
            log.info("worker.issue_synced", issue_id=request.key, result=str(result))
            return None
        return self._engine.sync_code(request.key)


def run_forever(
    engine: Engine,
    *,
    interval_seconds: float,
    stop: threading.Event,
    max_cycles: int | None = None,
    triggers: TriggerQueue | None = None,
    sync_item: ItemSyncer | None = None,
    observer: LoopObserver | None = None,
) -> int:
    """Run cycles until asked to stop; return how many ran."""
    cycles = 0
    failures = 0
    log.info("worker.started", interval_seconds=interval_seconds)
    while not stop.is_set():
        pause = interval_seconds
        try:
            report = engine.run_cycle(stop=stop)
        except RateLimited as exc:
            failures += 1
            pause = max(interval_seconds, exc.retry_after or 0.0)
            log.warning("worker.rate_limited", wait_seconds=round(pause, 1))
            _failed(observer, exc)
        except SyncdError as exc:
            failures += 1
            log.error("worker.cycle_failed", error=type(exc).__name__, reason=str(exc))
            _failed(observer, exc)
        except redis.RedisError as exc:
            # Cursors and links live in Redis: wait for it, losing nothing.
            # No backoff: a cycle without Redis fails at its first command,
            # and trying again each interval resumes within one of it,
            # however long the outage was.
            failures += 1
            log.error(
                "worker.redis_unavailable",
                error=type(exc).__name__,
                wait_seconds=round(pause, 1),
            )
            _failed(observer, exc)
        except Exception as exc:  # the top of the loop: log it, keep the daemon alive
            failures += 1
            pause = _backoff(interval_seconds, failures)
            log.exception("worker.cycle_crashed")
            _failed(observer, exc)
        else:
            failures = 0
            if observer is not None:
                observer.cycle_finished(report)
        cycles += 1
        if max_cycles is not None and cycles >= max_cycles:
            break
        _wait(pause, stop, triggers, sync_item, observer)
    log.info("worker.stopped", cycles=cycles, signalled=stop.is_set())
    return cycles


def _failed(observer: LoopObserver | None, exc: BaseException) -> None:
    if observer is not None:
        observer.failed("worker", type(exc).__name__)


def _backoff(interval_seconds: float, failures: int) -> float:
    """Waits that double after each failed cycle, up to MAX_BACKOFF_SECONDS."""
    doubled = interval_seconds * 2.0 ** min(failures - 1, 16)
    return max(interval_seconds, min(doubled, MAX_BACKOFF_SECONDS))


def _wait(
    seconds: float,
    stop: threading.Event,
    triggers: TriggerQueue | None,
    sync_item: ItemSyncer | None,
    observer: LoopObserver | None,
) -> None:
    """Until the next cycle: tick the observer, sync what webhooks ask for."""
    if triggers is None and observer is None:
        stop.wait(seconds)
        return
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if observer is not None:
            observer.tick()
        # Short slices: a signal handler only sets ``stop``, it cannot notify.
        pause = min(left, WAIT_SLICE_SECONDS)
        if triggers is None:
            stop.wait(pause)
            continue
        if not triggers.wait(pause):
            continue
        for request in triggers.drain():
            if stop.is_set():
                return  # what is left is picked up by the next run's poll
            _sync_one(request, sync_item, observer)


def _sync_one(
    request: SyncRequest, sync_item: ItemSyncer | None, observer: LoopObserver | None
) -> None:
    if sync_item is None:
        return
    with structlog.contextvars.bound_contextvars(trigger=request.source):
        try:
            outcome = sync_item(request)
        except SyncdError as exc:
            log.warning("worker.item_failed", error=type(exc).__name__)
            if observer is not None:
                observer.failed("webhook", type(exc).__name__)
            return
        except Exception as exc:  # one item must not stop the daemon
            log.exception("worker.item_crashed")
            if observer is not None:
                observer.failed("webhook", type(exc).__name__)
            return
    if outcome is not None and observer is not None:
        observer.item_synced(outcome)
