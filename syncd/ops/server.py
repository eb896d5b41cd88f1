"""The operations HTTP server: one Starlette app, served by uvicorn in a thread.

Routes::

    GET  /healthz            200 while the process serves (liveness)
    GET  /readyz             200 when Redis and both APIs answered recently, else 503
    GET  /metrics            Prometheus text format
    POST /webhooks/intigriti (only when SYNCD_WEBHOOKS__INTIGRITI_SECRET is set)
    POST /webhooks/jira      (only when SYNCD_WEBHOOKS__JIRA_SECRET is set)

The app never touches the sync itself: it reads ``Health`` and ``Metrics``
and hands webhook deliveries to their receivers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType

import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.ops.health import Health
from syncd.ops.metrics import CONTENT_TYPE, Metrics

log = structlog.get_logger("syncd.ops.server")

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(
    health: Health,
    metrics: Metrics,
    *,
    intigriti_webhook: Endpoint | None = None,
    jira_webhook: Endpoint | None = None,
) -> Starlette:
    """The app; a receiver left out is not routed (404)."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        statuses = health.statuses()
        ready = health.ready()
        body = {
            "ready": ready,
            "window_seconds": health.window_seconds,
            "dependencies": {
                status.name: {
                    "ready": status.ready,
                    "seconds_since_answer": status.seconds_since_answer,
                }
                for status in statuses
            },
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    def metrics_endpoint(request: Request) -> Response:
        # A plain function: Starlette runs it in a worker thread, as the
        # scrape reads Redis.
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    if intigriti_webhook is not None:
        routes.append(
            Route("/webhooks/intigriti", _function(intigriti_webhook), methods=["POST"])
        )
    if jira_webhook is not None:
        routes.append(
            Route("/webhooks/jira", _function(jira_webhook), methods=["POST"])
        )
    return Starlette(routes=routes)


def _function(endpoint: Endpoint) -> Endpoint:
    # Starlette treats a callable object as a raw ASGI app; a function it
    # calls with a Request.
    async def call(request: Request) -> Response:
        return await endpoint(request)

    return call


class OpsServer:
    """uvicorn on a background thread; ``start`` returns once it listens."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # keep syncd.logs' handlers
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="ops-http", daemon=True)
        self.host = host

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    @property
    def port(self) -> int:
        """The bound port (useful when 0 asked for a free one)."""
        servers = getattr(self._server, "servers", [])
        for server in servers:
            for sock in server.sockets:
                port: int = sock.getsockname()[1]
                return port
        return self._server.config.port

    def start(self, timeout: float = 10.0) -> OpsServer:
        self._thread.start()
        waited = threading.Event()
        while not self._server.started and self._thread.is_alive() and timeout > 0:
            waited.wait(0.02)
            timeout -= 0.02
        if not self._server.started:
            raise RuntimeError(f"ops server did not start on {self.host}")
        log.info("ops.server_started", host=self.host, port=self.port)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> OpsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
