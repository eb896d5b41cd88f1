"""Webhook receivers: verify, de-duplicate, then ask the worker to sync now.

Nothing is synced here: a receiver only turns an authentic, fresh delivery
into a ``SyncRequest`` and hands it to the injected trigger. Polling stays
the reconciliation, so a delivery that is lost or dropped costs latency,
never data.

Intigriti (``shared/intigriti/API.md`` section 6): ``x-intigriti-digest`` is
base64(HMAC-SHA256(secret, raw body)), compared in constant time. A
delivery whose ``createdAt`` (unix seconds; milliseconds are recognised) is
further than the replay window from now is stale; one whose digest was seen
within twice that window is a replay (the digest is kept in Redis, so every
replica shares the cache). Answers: 204 done, 400 malformed or stale, 401
bad signature, 409 replay, 413 too large, 503 replay cache unavailable.

Jira: Data Center webhooks carry no signature, so the URL registered in
Jira carries a shared secret, ``?secret=...``; a proxy may send it as the
``x-syncd-webhook-secret`` header instead. Events caused by syncd's own
account are ignored, so syncd's writes are not bounced back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import redis
import structlog
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from syncd.errors import ServiceUnavailable
from syncd.ops.metrics import Metrics
from syncd.ops.triggers import SyncRequest, SyncTrigger

log = structlog.get_logger("syncd.ops.webhooks")

INTIGRITI_EVENTS = frozenset(
    {
        "TestEvent",
        "SubmissionCreated",
        "SubmissionSeverityChanged",
        "SubmissionStatusChanged",
        "SubmissionMessagePlaced",
    }
)
JIRA_SECRET_PARAM = "secret"  # noqa: S105 - a parameter name
JIRA_SECRET_HEADER = "x-syncd-webhook-secret"  # noqa: S105 - a header name
_MILLISECONDS_AFTER = 100_000_000_000  # unix seconds reach this in the year 5138


class BodyTooLarge(Exception):
    """The request body exceeds the configured limit."""


def intigriti_digest(secret: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(
        given.encode("utf-8"), expected.encode("utf-8")
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing to buffer more than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > limit:
            raise BodyTooLarge
    return bytes(chunks)


class ReplayCache:
    """Digests of accepted deliveries, in Redis, for a limited time."""

    def __init__(self, client: redis.Redis, prefix: str, ttl_seconds: int) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl_seconds

    def first_seen(self, digest: str) -> bool:
        """Record ``digest``; False when it was already recorded."""
        key = f"{self._prefix}:webhook:intigriti:{digest}"
        try:
            return bool(self._redis.set(key, "1", nx=True, ex=self._ttl))
        except redis.RedisError as exc:
            raise ServiceUnavailable(
                f"replay cache unavailable ({type(exc).__name__})"
            ) from None


def _answer(status: int, reason: str | None = None) -> Response:
    if reason is None:
        return Response(status_code=status)
    return JSONResponse({"error": reason}, status_code=status)


class IntigritiReceiver:
    """``POST /webhooks/intigriti``."""

    def __init__(
        self,
        *,
        secret: SecretStr,
        replay: ReplayCache,
        trigger: SyncTrigger,
        metrics: Metrics,
        window_seconds: int,
        max_body_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._replay = replay
        self._trigger = trigger
        self._metrics = metrics
        self._window = window_seconds
        self._limit = max_body_bytes
        self._clock = clock

    def _rejected(self, status: int, result: str) -> Response:
        self._metrics.record_webhook("intigriti", result)
        log.warning("ops.webhook_rejected", source="intigriti", result=result)
        return _answer(status, result)

    async def __call__(self, request: Request) -> Response:
        try:
            body = await read_body(request, self._limit)
        except BodyTooLarge:
            return self._rejected(413, "too_large")
        digest = intigriti_digest(self._secret.get_secret_value(), body)
        if not _same(request.headers.get("x-intigriti-digest"), digest):
            return self._rejected(401, "bad_signature")

        event = request.headers.get("x-intigriti-event", "")
        payload = _json_object(body)
        code = payload.get("submissionCode") if payload else None
        created = payload.get("createdAt") if payload else None
        if event not in INTIGRITI_EVENTS or not isinstance(code, str):
            return self._rejected(400, "malformed")
        if not isinstance(created, int | float) or isinstance(created, bool):
            return self._rejected(400, "malformed")
        if created >= _MILLISECONDS_AFTER:
            created /= 1000
        if abs(self._clock() - created) > self._window:
            return self._rejected(400, "stale")

        try:
            fresh = await run_in_threadpool(self._replay.first_seen, digest)
        except ServiceUnavailable:
            return self._rejected(503, "replay_cache_unavailable")
        if not fresh:
            return self._rejected(409, "replayed")

        if event == "TestEvent":
            self._metrics.record_webhook("intigriti", "ignored")
            return _answer(204)
        queued = self._trigger(SyncRequest("intigriti", code))
        self._metrics.record_webhook("intigriti", "accepted" if queued else "dropped")
        log.info(
            "ops.webhook_accepted",
            source="intigriti",
            webhook_event=event,
            submission=code,
        )
        return _answer(204)


class JiraReceiver:
    """``POST /webhooks/jira``."""

    def __init__(
        self,
        *,
        secret: SecretStr,
        trigger: SyncTrigger,
        metrics: Metrics,
        max_body_bytes: int,
        own_account: str | None = None,
    ) -> None:
        self._secret = secret
        self._trigger = trigger
        self._metrics = metrics
        self._limit = max_body_bytes
        self._own_account = own_account

    def _rejected(self, status: int, result: str) -> Response:
        self._metrics.record_webhook("jira", result)
        log.warning("ops.webhook_rejected", source="jira", result=result)
        return _answer(status, result)

    async def __call__(self, request: Request) -> Response:
        given = request.query_params.get(JIRA_SECRET_PARAM) or request.headers.get(
            JIRA_SECRET_HEADER
        )
        if not _same(given, self._secret.get_secret_value()):
            return self._rejected(401, "bad_signature")
        try:
            body = await read_body(request, self._limit)
        except BodyTooLarge:
            return self._rejected(413, "too_large")

        payload = _json_object(body)
        issue = payload.get("issue") if payload else None
        issue_id = issue.get("id") if isinstance(issue, dict) else None
        if payload is None or not isinstance(issue_id, str | int):
            return self._rejected(400, "malformed")
        if self._own_account is not None and _author(payload) == self._own_account:
            self._metrics.record_webhook("jira", "ignored")
            return _answer(204)

        queued = self._trigger(SyncRequest("jira", str(issue_id)))
        self._metrics.record_webhook("jira", "accepted" if queued else "dropped")
        log.info(
            "ops.webhook_accepted",
            source="jira",
            webhook_event=str(payload.get("webhookEvent", "")),
            issue_id=str(issue_id),
        )
        return _answer(204)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _author(payload: dict[str, Any]) -> str | None:
    """Cloud names the author by ``accountId``, Data Center by ``name``."""
    user = payload.get("user")
    if not isinstance(user, dict):
        return None
    found = user.get("accountId") or user.get("name")
    return str(found) if found is not None else None
