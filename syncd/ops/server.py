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

from collections.abc import Awaitable, Callable

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.errors import ConfigError
from syncd.ops.health import Health
from syncd.ops.metrics import CONTENT_TYPE, Metrics
from syncd.serving import ServedApp

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


class OpsServer(ServedApp):
    """The operations app on its own thread; ``start`` returns once it listens."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        super().__init__(
            app, host, port, name="ops-http", keep_logging=True, graceful_seconds=5
        )

    @property
    def port(self) -> int:
        return self.bound_port

    def start(self, timeout: float = 10.0) -> OpsServer:
        try:
            super().start(timeout)
        except RuntimeError:
            raise ConfigError(
                f"the operations server could not listen on "
                f"{self.host}:{self._server.config.port} (in use, or not "
                "permitted): set SYNCD_HTTP__PORT (0 picks a free port) or "
                "SYNCD_HTTP__ENABLED=false"
            ) from None
        log.info("ops.server_started", host=self.host, port=self.port)
        return self
