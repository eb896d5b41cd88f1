"""Requests for an immediate sync, from the webhook receivers to the worker.

Receivers run on the HTTP server's event loop; the worker loop runs in the
main thread. ``TriggerQueue`` is the thread-safe hand-over between them:
receivers ``put`` a request (never blocking, never doing I/O), the loop
waits on it between cycles and ``drain``s it. Requests for the same item
collapse into one while queued, and the queue is bounded: when it is full a
request is dropped and counted, as the next poll reconciles it anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Source = Literal["intigriti", "jira"]


@dataclass(frozen=True)
class SyncRequest:
    """One item to sync now: a submission code, or a Jira issue id."""

    source: Source
    key: str


SyncTrigger = Callable[[SyncRequest], bool]
"""What a receiver calls; False when the request was dropped (queue full)."""


class TriggerQueue:
    """A bounded, de-duplicating, thread-safe set of pending sync requests."""

    def __init__(self, max_pending: int = 1000) -> None:
        self._max = max_pending
        self._pending: dict[SyncRequest, None] = {}
        self._ready = threading.Condition()
        self.dropped = 0

    def __call__(self, request: SyncRequest) -> bool:
        return self.put(request)

    def put(self, request: SyncRequest) -> bool:
        with self._ready:
            if request not in self._pending and len(self._pending) >= self._max:
                self.dropped += 1
                return False
            self._pending[request] = None
            self._ready.notify_all()
            return True

    def wait(self, timeout: float) -> bool:
        """Wait until something is pending or ``timeout`` passes; whether it is."""
        with self._ready:
            return self._ready.wait_for(lambda: bool(self._pending), timeout)

    def wake(self) -> None:
        """Let a ``wait`` return early (the loop is asked to stop)."""
        with self._ready:
            self._ready.notify_all()

    def drain(self) -> list[SyncRequest]:
        """Everything pending, oldest first; the queue is empty after."""
        with self._ready:
            requests = list(self._pending)
            self._pending.clear()
            return requests

    def __len__(self) -> int:
        with self._ready:
            return len(self._pending)
