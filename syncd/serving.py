"""An ASGI app served by uvicorn from a background thread.

The operations server of ``syncd run`` and the simulators both run this way:
``start`` returns once the socket listens, ``stop`` lets open requests end.
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp


class ServedApp:
    """uvicorn on a daemon thread, started and stopped by its owner."""

    def __init__(
        self,
        app: ASGIApp,
        host: str,
        port: int,
        *,
        name: str,
        keep_logging: bool = False,
        graceful_seconds: int = 2,
    ) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            # keep_logging leaves syncd.logs' handlers alone; otherwise
            # uvicorn installs its own and only warns.
            log_config=None if keep_logging else uvicorn.config.LOGGING_CONFIG,
            log_level=None if keep_logging else "warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=graceful_seconds,
        )
        self.host = host
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    @property
    def bound_port(self) -> int:
        """The port listened on (the one picked when 0 was asked for)."""
        for server in getattr(self._server, "servers", []):
            for sock in server.sockets:
                port: int = sock.getsockname()[1]
                return port
        return self._server.config.port

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if not self._server.started:
            raise RuntimeError(f"{self._thread.name} did not start on {self.host}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
