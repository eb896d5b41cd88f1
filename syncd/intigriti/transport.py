"""One authorised request to the Intigriti API: errors by type, retries, 401s.

Status codes map onto ``syncd.errors`` (API.md section 7):

- transport failures and 5xx: ``ServiceUnavailable`` (``ConnectionFailedError``
  when no connection was made at all);
- 429, and 403 with ``Retry-After`` (a throttle, as in Intigriti's researcher
  API): ``RateLimited``;
- any other 403: ``AuthError`` (a scope is missing);
- 404: ``NotFoundError``; other 4xx: ``RejectedError``;
- 401: the token is renewed once (under the shared lock) and the request sent
  once more; a second 401 is an ``AuthError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
    wait_random,
)

from syncd.errors import (
    AuthError,
    NotFoundError,
    RateLimited,
    RejectedError,
    ServiceUnavailable,
    TransientError,
)
from syncd.intigriti.errors import ConnectionFailedError
from syncd.intigriti.tokens import HEADERS, TokenProvider


def _log() -> Any:
    # A fresh proxy per call, so a cached logger never outlives a reconfiguration.
    return structlog.get_logger("syncd.intigriti.client")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry; tests shrink the delays and swap ``sleep``."""

    max_attempts: int = 5
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    budget_seconds: float = 120.0
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Call:
    """What one request is, for logs and the retry decision."""

    operation: str
    method: str
    url: str
    submission: str | None = None
    params: Mapping[str, str | int] | None = None
    json: Mapping[str, Any] | None = None
    idempotent: bool = True


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` of delta-seconds or HTTP-date form."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def error_for(response: httpx.Response, call: Call) -> Exception:
    """The ``syncd.errors`` instance a non-2xx response stands for."""
    status = response.status_code
    what = f"Intigriti {call.operation} answered HTTP {status}"
    retry_after = parse_retry_after(
        response.headers.get("Retry-After"), datetime.now(UTC)
    )
    if status == 429 or (status == 403 and "Retry-After" in response.headers):
        return RateLimited(what, retry_after=retry_after)
    if status in (401, 403):
        return AuthError(what)
    if status == 404:
        return NotFoundError(what)
    if status >= 500:
        return ServiceUnavailable(what)
    return RejectedError(what, status_code=status)


class Transport:
    """Sends ``Call``s with the shared token; retries what is safe to retry."""

    def __init__(
        self, http: httpx.Client, tokens: TokenProvider, policy: RetryPolicy
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._policy = policy
        initial = policy.backoff_initial_seconds
        self._backoff = wait_exponential(
            multiplier=initial, max=policy.backoff_max_seconds
        ) + wait_random(0, initial)

    def send(self, call: Call) -> httpx.Response:
        """The 2xx response to ``call``, or the error of its last attempt."""
        return self._retrying(call)(self._send_authorised, call, False)

    def open_stream(self, call: Call) -> httpx.Response:
        """Like ``send``, but the 2xx response's body is left unread.

        The caller iterates the body and closes the response; only opening it
        is retried (a body cut short is the caller's ``TransportError``).
        """
        return self._retrying(call)(self._send_authorised, call, True)

    def _retrying(self, call: Call) -> Retrying:
        policy = self._policy
        return Retrying(
            stop=stop_after_attempt(policy.max_attempts)
            | stop_before_delay(policy.budget_seconds),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: self._retryable(exc, call)),
            sleep=policy.sleep,
            before_sleep=lambda state: self._note_retry(state, call),
            reraise=True,
        )

    def _retryable(self, exc: BaseException, call: Call) -> bool:
        # A 429 or a refused connection means the request was not processed,
        # so even a write may go again; other failures only for idempotent calls.
        if isinstance(exc, RateLimited | ConnectionFailedError):
            return True
        return call.idempotent and isinstance(exc, TransientError)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        # Exponential steps plus jitter as large as the first step, which
        # spreads workers that failed together.
        return min(self._policy.backoff_max_seconds, self._backoff(state))

    def _note_retry(self, state: RetryCallState, call: Call) -> None:
        exc = state.outcome.exception() if state.outcome else None
        _log().warning(
            "intigriti.request_retrying",
            operation=call.operation,
            submission=call.submission,
            attempt=state.attempt_number,
            wait_seconds=round(state.upcoming_sleep, 3),
            error=type(exc).__name__,
        )

    def _send_authorised(self, call: Call, stream: bool) -> httpx.Response:
        token = self._tokens.access_token()
        response = self._send(call, token, stream)
        if response.status_code == 401:
            response.close()
            # Tokens expire or are invalidated early (API.md section 1.1): renew
            # once, shared with every worker, and try the request once more.
            _log().info(
                "intigriti.token_rejected",
                operation=call.operation,
                submission=call.submission,
            )
            token = self._tokens.refresh(rejected=token)
            response = self._send(call, token, stream)
        if response.is_success:
            return response
        if stream:
            response.read()
            response.close()
        _log().warning(
            "intigriti.request_failed",
            operation=call.operation,
            submission=call.submission,
            status_code=response.status_code,
        )
        raise error_for(response, call)

    def _send(self, call: Call, token: str, stream: bool) -> httpx.Response:
        request = self._http.build_request(
            call.method,
            call.url,
            params=call.params,
            json=call.json,
            headers={**HEADERS, "Authorization": f"Bearer {token}"},
        )
        try:
            return self._http.send(request, stream=stream, follow_redirects=False)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ConnectionFailedError(
                f"Intigriti {call.operation}: no connection ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"Intigriti {call.operation}: {type(exc).__name__}"
            ) from None
