"""Errors of the Intigriti client that refine the tree in ``syncd.errors``.

::

    PermanentError
    └── MalformedResponseError  a response lacks a key syncd needs, or mistypes it
    ServiceUnavailable
    └── ConnectionFailedError   the request never reached Intigriti (a write may
                                be sent again)
"""

from __future__ import annotations

from syncd.errors import PermanentError, ServiceUnavailable


class MalformedResponseError(PermanentError):
    """Intigriti answered with data syncd cannot read; names code and key only."""

    def __init__(self, message: str, submission: str | None, key: str) -> None:
        super().__init__(message)
        self.submission = submission
        self.key = key


class ConnectionFailedError(ServiceUnavailable):
    """No connection was made, so the request was certainly not processed."""
