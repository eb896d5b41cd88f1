"""Turn what the ``jira`` library and ``requests`` raise into syncd's errors.

::

    JIRAError 401/403            -> AuthError
    JIRAError 404                -> NotFoundError
    JIRAError 429                -> RateLimited(retry_after)
    JIRAError 5xx, 408, no code  -> ServiceUnavailable
    JIRAError other 4xx          -> RejectedError(status_code)
    requests timeout/connection  -> ServiceUnavailable
    requests bad URL/schema      -> ConfigError

Messages name the operation, the status code and the *names* of the fields
Jira complained about. They never carry request or response bodies: Jira's
messages may echo the values sent, which are report content. The one
exception is the first ``errorMessages`` entry, cut to 200 characters,
because it is often the only hint (e.g. "Issue does not exist").
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import structlog
from jira.exceptions import JIRAError

from syncd.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    OutcomeUnknown,
    RateLimited,
    RejectedError,
    ServiceUnavailable,
    SyncdError,
)

log = structlog.get_logger(__name__)

MESSAGE_LIMIT = 200

_CONFIG_PROBLEMS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


def retry_after_seconds(headers: Any, now: datetime | None = None) -> float | None:
    """Seconds to wait, from ``Retry-After`` (seconds or HTTP-date) or
    ``X-RateLimit-Reset`` (ISO 8601); ``None`` when neither is readable.

    The ``jira`` library calls ``int()`` on ``Retry-After`` and so fails on
    the date form; this reads both forms (RFC 9110, section 10.2.3).
    """
    now = now or datetime.now(UTC)
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            return _seconds_until(moment, now)

    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return _seconds_until(datetime.fromisoformat(reset.strip()), now)
        except ValueError:
            return None
    return None


def _seconds_until(moment: datetime, now: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def _body(response: requests.Response | None) -> dict[str, Any]:
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def rejection_summary(response: requests.Response | None) -> str:
    """Field names from ``errors`` and the first ``errorMessages`` entry, cut."""
    body = _body(response)
    parts = []
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        parts.append("fields: " + ", ".join(sorted(str(name) for name in errors)))
    messages = body.get("errorMessages")
    if isinstance(messages, list) and messages:
        parts.append("message: " + str(messages[0])[:MESSAGE_LIMIT])
    return "; ".join(parts)


def from_jira_error(exc: JIRAError, operation: str) -> SyncdError:
    """The syncd error for one failed Jira request."""
    status = exc.status_code
    response = exc.response if isinstance(exc.response, requests.Response) else None
    prefix = f"jira {operation} failed with HTTP {status}"

    if status is None or status >= 500 or status == 408:
        return ServiceUnavailable(prefix)
    if status == 429:
        headers = response.headers if response is not None else {}
        return RateLimited(prefix, retry_after=retry_after_seconds(headers))
    if status in (401, 403):
        return AuthError(prefix)
    if status == 404:
        return NotFoundError(prefix)
    summary = rejection_summary(response)
    message = f"{prefix}: {summary}" if summary else prefix
    return RejectedError(message, status_code=status)


def from_request_error(exc: requests.RequestException, operation: str) -> SyncdError:
    """The syncd error for a request that got no HTTP answer."""
    kind = type(exc).__name__
    if isinstance(exc, _CONFIG_PROBLEMS):
        return ConfigError(f"jira {operation}: the Jira URL is unusable ({kind})")
    if isinstance(exc, requests.ConnectTimeout):
        # Never connected, so nothing was sent.
        return ServiceUnavailable(f"jira {operation} failed: {kind}")
    return OutcomeUnknown(f"jira {operation} failed: {kind}")


@contextmanager
def translated(
    operation: str, jira_id: str | None = None, expected: Collection[int] = ()
) -> Iterator[None]:
    """Run one Jira call; re-raise its failure as a syncd error and log it.

    Statuses in ``expected`` are outcomes the caller handles (a 404 for a
    property not set yet): they are translated but not logged. The original
    exception is dropped (``from None``): ``JIRAError.__str__`` prints
    response bodies, which hold report content.
    """
    try:
        yield
    except JIRAError as exc:
        error = from_jira_error(exc, operation)
        if exc.status_code not in expected:
            _log_failure(operation, jira_id, exc.status_code, error)
        raise error from None
    except requests.RequestException as exc:
        error = from_request_error(exc, operation)
        _log_failure(operation, jira_id, None, error)
        raise error from None


def _log_failure(
    operation: str, jira_id: str | None, status: int | None, error: SyncdError
) -> None:
    log.warning(
        "jira.request_failed",
        operation=operation,
        jira_id=jira_id,
        status_code=status,
        error=type(error).__name__,
    )
