"""How a long command shows progress: a bar on a terminal, log lines otherwise."""

from __future__ import annotations

import threading
import time

import structlog
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

log = structlog.get_logger("syncd.progress")


class ProgressBar:
    """rich's bar on stderr, with rate and ETA."""

    def __init__(self, label: str, console: Console) -> None:
        self._progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self._task: TaskID | None = None
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._done = 0

    def start(self, total: int) -> None:
        self._started = time.monotonic()
        self._task = self._progress.add_task("", total=total, rate="")
        self._progress.start()

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            rate = self._done / max(time.monotonic() - self._started, 1e-9)
            if self._task is not None:
                self._progress.update(self._task, advance=1, rate=f"{rate:.1f}/s")

    def stop(self) -> None:
        self._progress.stop()


class ProgressLog:
    """One ``backfill.progress`` line every ``every`` seconds, with rate and ETA."""

    def __init__(self, event: str, every: float = 10.0) -> None:
        self._event = event
        self._every = every
        self._lock = threading.Lock()
        self._total = 0
        self._done = 0
        self._started = time.monotonic()
        self._last = self._started

    def start(self, total: int) -> None:
        self._total = total
        self._started = self._last = time.monotonic()
        log.info(self._event, done=0, total=total)

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            now = time.monotonic()
            if now - self._last < self._every:
                return
            self._last = now
            done, total = self._done, self._total
        rate = done / max(now - self._started, 1e-9)
        eta = (total - done) / rate if rate else None
        log.info(
            self._event,
            done=done,
            total=total,
            rate_per_second=round(rate, 2),
            eta_seconds=None if eta is None else round(eta),
        )

    def stop(self) -> None:
        log.info(self._event, done=self._done, total=self._total)


def progress_display(label: str) -> ProgressBar | ProgressLog:
    """A bar when stderr is a terminal, log lines when it is not."""
    console = Console(stderr=True)
    if console.is_terminal:
        return ProgressBar(label, console)
    return ProgressLog(f"{label}.progress")
