"""The submission state machine.

Statuses follow the lifecycle of Intigriti's knowledge base (API.md 5.1):
Draft → Triage → Pending → Accepted → Closed → Archived. A company moves a
submission with a *status trigger* (`PUT /submissions/{code}/state`); the
simulator knows these triggers by key, their ids come from the enum table:

    trigger   from                        to        also
    -------   -------------------------   --------  ----------------------------
    accept    Triage, Pending             Accepted  sets validatedAt (if unset)
                                                    and acceptedAt
    close     Triage, Pending, Accepted   Closed    needs closeReason; Duplicate
                                                    needs duplicateSubmission
    reopen    Triage                      Pending   validates it (validatedAt)
    reopen    Closed                      Pending   clears closeReason, closedAt
                                                    and the duplicate link
    archive   Closed                      Archived  sets archivedAt
    submit    Draft                       Triage    researcher only (control API)

Anything else is refused with 409. Archived is final: no trigger leaves it
and no company write other than the internal reference touches it. Drafts
are the researcher's and never visible to the company API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import BadRequestError
from .model import Submission

TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {"triage": "accepted", "pending": "accepted"},
    "close": {"triage": "closed", "pending": "closed", "accepted": "closed"},
    "reopen": {"triage": "pending", "closed": "pending"},
    "archive": {"closed": "archived"},
    "submit": {"draft": "triage"},
}
COMPANY_TRIGGERS = ("accept", "close", "reopen", "archive")
HIDDEN_STATUSES = frozenset({"draft"})
LOCKED_STATUSES = frozenset({"archived"})


@dataclass(frozen=True)
class Move:
    """A transition the machine allows."""

    trigger: str
    source: str
    target: str


def plan(trigger: str, source: str) -> Move | None:
    """The move `trigger` makes from `source`, or None if it is not allowed."""
    target = TRANSITIONS.get(trigger, {}).get(source)
    return None if target is None else Move(trigger, source, target)


def company_triggers_from(status: str) -> list[str]:
    """The company triggers that may follow, in table order."""
    return [key for key in COMPANY_TRIGGERS if status in TRANSITIONS[key]]


def check_close(
    sub: Submission,
    move: Move,
    reason: str | None,
    duplicate: str | None,
    submissions: Mapping[str, Submission],
) -> Submission | None:
    """Check the close arguments of a move; return the duplicate's parent."""
    if move.trigger != "close":
        if reason is not None or duplicate is not None:
            raise BadRequestError("closeReason and duplicateSubmission need close")
        return None
    if reason is None:
        raise BadRequestError("closing needs a closeReason", {"closeReason": ["empty"]})
    if reason != "duplicate":
        if duplicate is not None:
            raise BadRequestError("duplicateSubmission needs closeReason Duplicate")
        return None
    if duplicate is None or duplicate == sub.code:
        raise BadRequestError(
            "closing as duplicate needs another submission",
            {"duplicateSubmission": ["required"]},
        )
    parent = submissions.get(duplicate)
    if parent is None or parent.status in HIDDEN_STATUSES:
        raise BadRequestError(
            f"duplicate parent {duplicate} does not exist",
            {"duplicateSubmission": ["unknown"]},
        )
    return parent


def enter(
    sub: Submission,
    move: Move,
    reason: str | None,
    parent: Submission | None,
    now: int,
    submissions: Mapping[str, Submission],
) -> None:
    """Apply a move's effects on the submission and its duplicate links."""
    sub.status = move.target
    if move.target == "accepted":
        sub.validated_at = sub.validated_at or now
        sub.accepted_at = now
    elif move.target == "closed":
        sub.closed_at = now
        sub.close_reason = reason
        if parent is not None:
            sub.duplicate_parent = parent.code
            parent.duplicate_children.append(sub.code)
            parent.last_updated_at = now
    elif move.target == "archived":
        sub.archived_at = now
    elif move.source == "closed":
        _unlink_duplicate(sub, now, submissions)
        sub.close_reason = None
        sub.closed_at = None
    elif move.source == "triage":
        sub.validated_at = now


def _unlink_duplicate(
    sub: Submission, now: int, submissions: Mapping[str, Submission]
) -> None:
    parent = submissions.get(sub.duplicate_parent or "")
    if parent is not None and sub.code in parent.duplicate_children:
        parent.duplicate_children.remove(sub.code)
        parent.last_updated_at = now
    sub.duplicate_parent = None
