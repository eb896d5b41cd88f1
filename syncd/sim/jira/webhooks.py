"""Webhook delivery from a background thread, so writes never wait on it."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import httpx

log = logging.getLogger(__name__)


class WebhookSender:
    """POST queued events to one URL; delivery failures are logged, not raised."""

    def __init__(self, url: str | None, timeout_s: float = 5.0) -> None:
        self.url = url
        self._timeout = timeout_s
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, event: dict[str, Any]) -> None:
        if self.url is None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="jira-sim-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put(event)

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until every queued event has been attempted."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        done.wait(timeout_s)

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while True:
                event = self._queue.get()
                try:
                    if event is None:
                        return
                    if self.url is not None:
                        client.post(self.url, json=event)
                except httpx.HTTPError as error:
                    log.warning("webhook_failed", extra={"error": str(error)})
                finally:
                    self._queue.task_done()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None
