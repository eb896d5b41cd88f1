"""The one exception tree of syncd.

::

    SyncdError
    ├── ConfigError              settings or mapping unusable; stop at start-up
    ├── TransientError           worth retrying with backoff
    │   ├── ServiceUnavailable   timeout, connection error, 5xx
    │   │   └── OutcomeUnknown   sent, no answer: the write may have happened
    │   └── RateLimited          429 (or Intigriti's 403 throttle); carries retry_after
    └── PermanentError           retrying cannot help; report or quarantine
        ├── AuthError            credentials refused (bad client, revoked refresh token)
        ├── RejectedError        the service refused the payload (400, 409, 413)
        ├── NotFoundError        the object is gone (404)
        │   └── IssueDeleted     a person deleted the linked Jira issue
        └── MappingError         a submission cannot be mapped (template, routing)

Retry decisions go by type, never by message text. Messages never carry
report content or secrets: they name ids, fields and status codes.
"""

from __future__ import annotations


class SyncdError(Exception):
    """Root of every error syncd raises on purpose."""


class ConfigError(SyncdError):
    """Settings or a mapping file cannot be used; start-up stops."""


class TransientError(SyncdError):
    """A failure that may pass: retry with backoff."""


class ServiceUnavailable(TransientError):
    """Timeout, dropped connection or a 5xx from a remote service."""


class OutcomeUnknown(ServiceUnavailable):
    """The request went out but no answer came back: it may have taken effect."""


class RateLimited(TransientError):
    """The service asked us to slow down for ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(SyncdError):
    """Retrying the same request cannot succeed."""


class AuthError(PermanentError):
    """Credentials were refused."""


class RejectedError(PermanentError):
    """The remote service rejected the request as invalid."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class NotFoundError(PermanentError):
    """The remote object does not exist (any more)."""


class IssueDeleted(NotFoundError):
    """The Jira issue linked to a submission was deleted by a person."""


class MappingError(PermanentError):
    """A submission cannot be translated into a Jira issue."""
