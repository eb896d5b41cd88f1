"""The poll loop of ``syncd run``, and how it stops.

The first SIGTERM or SIGINT sets an event: the cycle finishes the
submissions in hand, records its cursor and the loop returns. A second
signal exits at once.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import structlog

from syncd.engine import Engine
from syncd.errors import SyncdError

log = structlog.get_logger("syncd.worker")

EXIT_ON_SECOND_SIGNAL = 130


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


def run_forever(
    engine: Engine,
    *,
    interval_seconds: float,
    stop: threading.Event,
    max_cycles: int | None = None,
) -> int:
    """Run cycles until asked to stop; return how many ran."""
    cycles = 0
    log.info("worker.started", interval_seconds=interval_seconds)
    while not stop.is_set():
        try:
            engine.run_cycle(stop=stop)
        except SyncdError as exc:
            log.error("worker.cycle_failed", error=type(exc).__name__, reason=str(exc))
        except Exception:  # the top of the loop: log it, keep the daemon alive
            log.exception("worker.cycle_crashed")
        cycles += 1
        if max_cycles is not None and cycles >= max_cycles:
            break
        stop.wait(interval_seconds)
    log.info("worker.stopped", cycles=cycles, signalled=stop.is_set())
    return cycles
