"""Retries of the Jira requests that are safe to send twice.

Reads, PUTs and upserts (a remote link with the same ``globalId``) are
idempotent: a transient failure (timeout, dropped connection, 5xx, 429) is
retried here with exponential backoff and jitter, a bounded number of times,
never sooner than a 429's ``Retry-After``. Creates and comments are POSTs
that would duplicate; they are never retried here: the engine's ``creating``
marker and the per-comment source ids decide whether to send them again.
A ``Retry-After`` longer than ``max_seconds`` ends the retries at once, and
the cycle defers the submission instead of holding a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from syncd.errors import RateLimited, TransientError

log = structlog.get_logger(__name__)

T = TypeVar("T")


def _retry_after(state: RetryCallState) -> float | None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    return error.retry_after if isinstance(error, RateLimited) else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently an idempotent Jira request is retried."""

    attempts: int = 4
    initial_seconds: float = 0.5
    max_seconds: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def call(self, operation: str, request: Callable[[], T]) -> T:
        """``request()``, retried on ``TransientError``; the last error re-raised."""
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda state: self._log(operation, state),
        )
        return retrying(request)

    def _stop(self, state: RetryCallState) -> bool:
        asked = _retry_after(state)
        too_long = asked is not None and asked > self.max_seconds
        return too_long or stop_after_attempt(self.attempts)(state)

    def _wait(self, state: RetryCallState) -> float:
        grown = wait_exponential(multiplier=self.initial_seconds, max=self.max_seconds)
        jitter = wait_random(0, self.initial_seconds)
        backoff = min(self.max_seconds, (grown + jitter)(state))
        return max(backoff, _retry_after(state) or 0.0)

    @staticmethod
    def _log(operation: str, state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        log.info(
            "jira.request_retried",
            operation=operation,
            attempt=state.attempt_number,
            error=type(error).__name__,
            wait_seconds=round(state.upcoming_sleep, 3),
        )
