"""Intigriti enumerations as configuration.

Intigriti publishes no numeric ids for its enumerations (``{id, value}``
pairs); the defaults below are the best guesses of ``shared/intigriti/API.md``
section 5. Code compares canonical names, which these tables produce from ids,
so a deployment whose ids differ changes configuration, not code.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class SubmissionStatus(StrEnum):
    DRAFT = "draft"
    TRIAGE = "triage"
    PENDING = "pending"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    ARCHIVED = "archived"


class CloseReason(StrEnum):
    RESOLVED = "resolved"
    DUPLICATE = "duplicate"
    ACCEPTED_RISK = "accepted_risk"
    INFORMATIVE = "informative"
    OUT_OF_SCOPE = "out_of_scope"
    SPAM = "spam"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    UNDECIDED = "undecided"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    EXCEPTIONAL = "exceptional"


class StatusTrigger(StrEnum):
    ACCEPT = "accept"
    CLOSE = "close"
    REOPEN = "reopen"
    ARCHIVE = "archive"


class EnumTables(BaseModel):
    """Numeric ids of each enumeration, keyed by id."""

    status: dict[int, SubmissionStatus] = {
        1: SubmissionStatus.DRAFT,
        2: SubmissionStatus.TRIAGE,
        3: SubmissionStatus.PENDING,
        4: SubmissionStatus.ACCEPTED,
        5: SubmissionStatus.CLOSED,
        6: SubmissionStatus.ARCHIVED,
    }
    close_reason: dict[int, CloseReason] = {
        1: CloseReason.RESOLVED,
        2: CloseReason.DUPLICATE,
        3: CloseReason.ACCEPTED_RISK,
        4: CloseReason.INFORMATIVE,
        5: CloseReason.OUT_OF_SCOPE,
        6: CloseReason.SPAM,
        7: CloseReason.NOT_APPLICABLE,
    }
    severity: dict[int, Severity] = {
        1: Severity.UNDECIDED,
        2: Severity.LOW,
        3: Severity.MEDIUM,
        4: Severity.HIGH,
        5: Severity.CRITICAL,
        6: Severity.EXCEPTIONAL,
    }
    status_trigger: dict[int, StatusTrigger] = {
        1: StatusTrigger.ACCEPT,
        2: StatusTrigger.CLOSE,
        3: StatusTrigger.REOPEN,
        4: StatusTrigger.ARCHIVE,
    }

    def trigger_id(self, trigger: StatusTrigger) -> int:
        """The numeric id to send for a status trigger."""
        for number, name in self.status_trigger.items():
            if name is trigger:
                return number
        raise KeyError(trigger)

    def close_reason_id(self, reason: CloseReason) -> int:
        """The numeric id to send for a close reason."""
        for number, name in self.close_reason.items():
            if name is reason:
                return number
        raise KeyError(reason)
