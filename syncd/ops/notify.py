"""The systemd notify protocol (sd_notify(3)), with the standard library.

``NOTIFY_SOCKET`` names an AF_UNIX datagram socket; a leading ``@`` means
the abstract namespace (a NUL byte in the address). Messages are
newline-separated ``KEY=VALUE`` lines: ``READY=1`` once start-up is done,
``WATCHDOG=1`` at least every ``WATCHDOG_USEC`` microseconds when the unit
sets ``WatchdogSec=``, ``STOPPING=1`` when shutting down.

Why not a library: the protocol is a dozen lines of socket code and stable
since 2010; ``sdnotify``, the usual choice on PyPI, was last released in
2017. Sending never raises: a daemon must not die because its supervisor
went away.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

import structlog

log = structlog.get_logger("syncd.ops.notify")


class Notifier:
    """Sends notify messages; does nothing when ``NOTIFY_SOCKET`` is unset."""

    def __init__(
        self,
        address: str | None,
        watchdog_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._address = _socket_address(address) if address else None
        self.watchdog_seconds = watchdog_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ping: float | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Notifier:
        """Read ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID``."""
        watchdog = None
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and pid in ("", str(os.getpid())):
            watchdog = int(usec) / 1_000_000
        return cls(environ.get("NOTIFY_SOCKET") or None, watchdog)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    @property
    def ping_interval(self) -> float | None:
        """How often the loop should ping: half the watchdog, as systemd advises."""
        return None if self.watchdog_seconds is None else self.watchdog_seconds / 2

    def ready(self, status: str = "syncing") -> None:
        self.send(f"READY=1\nSTATUS={status}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def watchdog(self) -> None:
        """``WATCHDOG=1``, at most once per ``ping_interval / 2``."""
        interval = self.ping_interval
        if interval is None or self._address is None:
            return
        now = self._clock()
        with self._lock:
            if self._last_ping is not None and now - self._last_ping < interval / 2:
                return
            self._last_ping = now
        self.send("WATCHDOG=1")

    def send(self, message: str) -> bool:
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self._address)
                sock.sendall(message.encode())
        except OSError as exc:
            log.warning("ops.notify_failed", error=type(exc).__name__)
            return False
        return True


def _socket_address(name: str) -> str:
    if name.startswith("@"):
        return "\0" + name[1:]
    return name
