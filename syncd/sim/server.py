"""Serve an ASGI application on loopback from a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """One uvicorn server on 127.0.0.1, started and stopped from the caller.

    Used by ``syncd simulate``, the demo and the tests, so that every one of
    them talks real HTTP to the simulators.
    """

    def __init__(self, app: ASGIApp, port: int = 0) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host=LOOPBACK,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name=f"sim-{self.port}", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        started = threading.Event()

        def poll() -> None:
            while not self._server.started and self._thread.is_alive():
                threading.Event().wait(0.01)
            started.set()

        threading.Thread(target=poll, daemon=True).start()
        if not started.wait(timeout) or not self._server.started:
            raise RuntimeError(f"simulator on port {self.port} did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
