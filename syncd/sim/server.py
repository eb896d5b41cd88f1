"""Serve an ASGI application on loopback from a background thread."""

from __future__ import annotations

import socket

from starlette.types import ASGIApp

from syncd.serving import ServedApp

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread(ServedApp):
    """One simulator on 127.0.0.1, started and stopped by the caller.

    Used by ``syncd simulate``, the demo and the tests, so that every one of
    them talks real HTTP to the simulators.
    """

    def __init__(self, app: ASGIApp, port: int = 0) -> None:
        self.port = port or free_port()
        super().__init__(app, LOOPBACK, self.port, name=f"sim-{self.port}")

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"
