"""The canonical Submission, whatever API version it was read from.

The v2.1, v2.0 and v1.2 shapes (see ``shared/intigriti/API.md`` section 4)
are parsed into these models by ``syncd.intigriti.parse``. Enumerations stay
as raw ``{id, value}`` pairs; ``EnumTables`` turns ids into canonical names,
so an id syncd does not know is kept, not lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from syncd.intigriti.enums import (
    CloseReason,
    EnumTables,
    Severity,
    SubmissionStatus,
)


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Enumerated(Model):
    """An Intigriti ``{id, value}`` pair, compared on ``id``."""

    id: int
    value: str


class SeverityRating(Model):
    id: int | None = None
    value: str | None = None
    vector: str | None = None
    score: float | None = None


class Money(Model):
    value: float
    currency: str


class InternalReference(Model):
    reference: str | None = None
    url: str | None = None


class Question(Model):
    question: str
    answer: str | None = None


class Attachment(Model):
    code: int
    url: str


class Program(Model):
    id: str
    handle: str
    name: str


class Submission(Model):
    """One report, in the shape every other layer of syncd works with.

    Text fields (``poc_description``, ``impact``, ...) hold researcher-written
    HTML or Markdown: untrusted, and never logged.
    """

    code: str
    program_id: str | None = None
    program_handle: str | None = None
    program_name: str | None = None
    title: str
    original_title: str | None = None
    status: Enumerated
    close_reason: Enumerated | None = None
    duplicate_of: str | None = None
    severity: SeverityRating | None = None
    vulnerability_type: str | None = None
    vulnerability_category: str | None = None
    cwe: str | None = None
    asset: str | None = None
    endpoint: str | None = None
    poc_description: str | None = None
    impact: str | None = None
    recommended_solution: str | None = None
    questions: tuple[Question, ...] = ()
    tags: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    submitter: str | None = None
    assignee: str | None = None
    created_at: datetime
    last_updated_at: datetime
    web_url: str | None = None
    internal_reference: InternalReference | None = None
    total_payout: Money | None = None
    extra: dict[str, Any] = {}
    """Keys of the API response that syncd does not model, kept raw."""

    def status_name(self, tables: EnumTables) -> SubmissionStatus | None:
        return tables.status.get(self.status.id)

    def close_reason_name(self, tables: EnumTables) -> CloseReason | None:
        if self.close_reason is None:
            return None
        return tables.close_reason.get(self.close_reason.id)

    def severity_name(self, tables: EnumTables) -> Severity | None:
        if self.severity is None or self.severity.id is None:
            return None
        return tables.severity.get(self.severity.id)


class SubmissionSummary(Model):
    """A list item: enough to decide whether the detail must be fetched."""

    code: str
    program_id: str | None = None
    last_updated_at: datetime


class SubmissionEvent(Model):
    """One entry of a submission's history (``/events``)."""

    type: Enumerated
    created_at: datetime
    visibility: Enumerated | None = None
    user_name: str | None = None
    user_id: str | None = None
    extra: dict[str, Any] = {}
