"""Webhook deliveries, signed as Intigriti signs them (API.md section 6).

Each delivery is a JSON POST whose `x-intigriti-event` header names the
payload type and whose `x-intigriti-digest` is base64(HMAC-SHA256(secret,
raw body)). Deliveries run on one background thread, in order, so a request
that triggers a webhook never waits for the receiver.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
from typing import Any

import httpx

log = logging.getLogger(__name__)


def digest(secret: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


class WebhookSender:
    """A queue of deliveries and the thread that posts them."""

    def __init__(self, url: str, secret: str, timeout: float) -> None:
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def send(self, event: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sim-intigriti-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put((event, body))

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued, then stop the thread."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while (item := self._queue.get()) is not None:
                event, body = item
                headers = {
                    "content-type": "application/json",
                    "x-intigriti-event": event,
                    "x-intigriti-digest": digest(self._secret, body),
                }
                try:
                    client.post(self._url, content=body, headers=headers)
                    self.delivered += 1
                except httpx.HTTPError as error:
                    # Intigriti's retry policy is undocumented; the simulator
                    # drops a failed delivery and counts it.
                    self.failed += 1
                    log.warning("webhook_failed", extra={"error": str(error)})
