"""Seeded lifecycle histories: the events a submission collects on its way
to its final status, written as the real actors would have caused them
(triagers validate, company users accept, close and pay)."""

from __future__ import annotations

import random

from . import seed_data as data
from .model import Corpus, Event, Payout, Person, StateSnapshot, Submission

HOUR = 3600
DAY = 24 * HOUR
BOUNTIES = {"low": 150.0, "medium": 500.0, "high": 1500.0, "critical": 4000.0}
NEUTRAL_REASONS = ["informative", "out_of_scope", "not_applicable", "accepted_risk"]


class _Clock:
    """Moves forward in random steps but never past the anchor."""

    def __init__(self, rng: random.Random, start: int, anchor: int) -> None:
        self.rng = rng
        self.now = start
        self.anchor = anchor

    def step(self, low: int = HOUR, high: int = 6 * DAY) -> int:
        self.now = min(self.now + self.rng.randint(low, high), self.anchor)
        return self.now


def play_lifecycle(
    rng: random.Random, corpus: Corpus, sub: Submission, final: str, anchor: int
) -> None:
    if final == "draft":
        sub.status = "draft"
        return
    clock = _Clock(rng, sub.created_at, anchor)
    triager, company = corpus.company_users[1], corpus.company_users[0]

    if rng.random() < 0.3:
        _message(rng, sub, clock.step(), triager, internal=False)
    if final == "triage":
        sub.awaiting_feedback = rng.random() < 0.4
        return

    _move(sub, "pending", clock.step(), triager)
    sub.validated_at = sub.last_updated_at
    if rng.random() < 0.5:
        _message(rng, sub, clock.step(), triager, internal=True)
    if rng.random() < 0.5:
        _assign(sub, clock.step(), company, rng.choice(corpus.company_users))
    for tag in rng.sample(data.TAGS, rng.randint(0, 2)):
        sub.tags.append(tag)
        _event(sub, "tag_added", clock.step(60, HOUR), company, "internal", tag=tag)
    if final == "pending":
        return

    through_accept = final == "accepted" or rng.random() < 0.55
    if through_accept:
        _move(sub, "accepted", clock.step(), company)
        sub.accepted_at = sub.last_updated_at
        _pay(rng, sub, clock, company)
    if final == "accepted":
        return

    reason = "resolved" if through_accept else _close_reason(rng, corpus, sub)
    _move(sub, "closed", clock.step(DAY, 40 * DAY), company, reason)
    sub.closed_at = sub.last_updated_at
    if final == "archived":
        _move(sub, "archived", clock.step(14 * DAY, 15 * DAY), company, reason)
        sub.archived_at = sub.last_updated_at


def _close_reason(rng: random.Random, corpus: Corpus, sub: Submission) -> str:
    parents = [
        other
        for other in corpus.submissions
        if other.program_id == sub.program_id
        and other.code != sub.code
        and other.status != "draft"
        and other.duplicate_parent is None
    ]
    if parents and rng.random() < 0.45:
        parent = rng.choice(parents)
        sub.duplicate_parent = parent.code
        parent.duplicate_children.append(sub.code)
        return "duplicate"
    if rng.random() < 0.1:
        return "spam"
    return rng.choice(NEUTRAL_REASONS)


def _move(
    sub: Submission, status: str, at: int, actor: Person, reason: str | None = None
) -> None:
    before = StateSnapshot(status=sub.status, close_reason=sub.close_reason)
    sub.status, sub.close_reason = status, reason
    after = StateSnapshot(status=status, close_reason=reason)
    duplicate = sub.duplicate_parent if status == "closed" else None
    _event(
        sub,
        "status_changed",
        at,
        actor,
        "everyone",
        from_state=before,
        to_state=after,
        duplicate_of=duplicate,
    )


def _message(
    rng: random.Random, sub: Submission, at: int, actor: Person, internal: bool
) -> None:
    pool = data.MESSAGES_INTERNAL if internal else data.MESSAGES_EXTERNAL
    visibility = "internal" if internal else "everyone"
    _event(sub, "message_placed", at, actor, visibility, message=rng.choice(pool))


def _assign(sub: Submission, at: int, actor: Person, assignee: Person) -> None:
    sub.assignee = assignee
    _event(sub, "assignee_changed", at, actor, "internal", to_assignee=assignee)


def _pay(rng: random.Random, sub: Submission, clock: _Clock, actor: Person) -> None:
    amount = BOUNTIES.get(sub.severity.key)
    if amount is None:
        return
    at = clock.step(60, DAY)
    payout = Payout(
        id=f"PO-{sub.code[-8:]}-1", amount=amount, type="bounty", created_at=at
    )
    sub.payouts.append(payout)
    _event(sub, "payout_added", at, actor, "everyone", payout=payout)
    if rng.random() < 0.25:
        at = clock.step(60, HOUR)
        bonus = Payout(
            id=f"PO-{sub.code[-8:]}-2", amount=250.0, type="bonus", created_at=at
        )
        sub.payouts.append(bonus)
        _event(sub, "payout_added", at, actor, "everyone", payout=bonus)


def _event(
    sub: Submission,
    kind: str,
    at: int,
    actor: Person,
    visibility: str,
    **details: object,
) -> None:
    event = Event.model_validate(
        {
            "kind": kind,
            "created_at": at,
            "visibility": visibility,
            "user": actor,
            **details,
        }
    )
    sub.events.append(event)
    sub.last_updated_at = at
    sub.last_updater = actor
