"""The records the simulator keeps: programs, people, submissions, events.

They hold *keys* into the enumeration table (``status="accepted"``), never
display ids, and are pydantic models so a corpus can be written to and read
from JSON unchanged (`Corpus`). Only the store mutates them, under its lock.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Person(BaseModel):
    """A company user, a triager or a researcher."""

    user_id: str
    user_name: str
    role: str
    email: str | None = None
    # Researchers only.
    rank: int = 0
    reputation: int = 0
    streak: str = "cold"
    identity_checked: bool = False


class Domain(BaseModel):
    """One in-scope asset of a program."""

    id: str
    asset_id: str
    type: str
    endpoint: str
    tier: str
    description: str


class Program(BaseModel):
    id: str
    handle: str
    name: str
    description: str
    status: str = "open"
    confidentiality: str = "public"
    type: str = "bugbounty"
    domains: list[Domain] = Field(default_factory=list)
    in_scope: str = ""
    out_of_scope: str = ""
    created_at: int
    last_updated_at: int


class Attachment(BaseModel):
    code: int
    name: str


class Payout(BaseModel):
    id: str
    amount: float
    type: str  # payout_type key
    created_at: int


class InternalReference(BaseModel):
    reference: str | None
    url: str | None


class StateSnapshot(BaseModel):
    status: str
    close_reason: str | None = None


class SeveritySnapshot(BaseModel):
    key: str
    vector: str | None = None
    score: float | None = None


class Event(BaseModel):
    """One entry of a submission's history; only the fields of its kind are set."""

    kind: str  # event_type key
    created_at: int
    visibility: str
    user: Person
    from_state: StateSnapshot | None = None
    to_state: StateSnapshot | None = None
    duplicate_of: str | None = None
    from_severity: SeveritySnapshot | None = None
    to_severity: SeveritySnapshot | None = None
    message: str | None = None
    message_id: str | None = None
    tag: str | None = None
    reference: InternalReference | None = None
    from_assignee: Person | None = None
    to_assignee: Person | None = None
    payout: Payout | None = None
    from_text: str | None = None
    to_text: str | None = None


class VulnerabilityType(BaseModel):
    name: str
    category: str
    cwe: str


class Question(BaseModel):
    question: str
    answer: str
    type: str = "text"


class Report(BaseModel):
    """What the researcher wrote; HTML fields are untrusted researcher HTML."""

    original_title: str
    type: VulnerabilityType
    domain_id: str | None
    motivation: str | None = None
    endpoint: str
    poc_description: str
    impact: str
    recommended_solution: str | None = None
    personal_data: bool = False
    ip: str | None = None
    questions: list[Question] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)


class Submission(BaseModel):
    code: str
    program_id: str
    title: str
    report: Report
    severity: SeveritySnapshot
    status: str = "triage"
    close_reason: str | None = None
    duplicate_parent: str | None = None
    duplicate_children: list[str] = Field(default_factory=list)
    validated_at: int | None = None
    accepted_at: int | None = None
    closed_at: int | None = None
    archived_at: int | None = None
    created_at: int
    last_updated_at: int
    last_updater: Person
    submitter: Person
    assignee: Person | None = None
    awaiting_feedback: bool = False
    tags: list[str] = Field(default_factory=list)
    internal_reference: InternalReference | None = None
    possible_bounty: float | None = None
    payouts: list[Payout] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)


class Corpus(BaseModel):
    """Everything a tenant holds; the format of `load_json` files."""

    programs: list[Program] = Field(default_factory=list)
    submissions: list[Submission] = Field(default_factory=list)
    company_users: list[Person] = Field(default_factory=list)
    researchers: list[Person] = Field(default_factory=list)
