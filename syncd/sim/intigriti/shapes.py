"""JSON shapes of the v2.1 company API (v2.0 is served with the same shapes).

Field names and nesting follow the OpenAPI document's view models, whose
quirks are kept on purpose (API.md section 8): `destroyed` is a bool in list
items but an object or null in detail, program overviews say `id` while
program details say `programId`, money is decimal and time is unix seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import IntigritiSimConfig
from .files import signed_url
from .model import Domain, Event, Payout, Person, Program, SeveritySnapshot, Submission

Json = dict[str, Any]


@dataclass(frozen=True)
class View:
    """What rendering needs beyond the record itself."""

    config: IntigritiSimConfig
    programs: Mapping[str, Program]
    base_url: str  # where `/files/...` links point, without a trailing slash
    now: float

    def money(self, value: float | None) -> Json | None:
        if value is None:
            return None
        return {"value": round(value, 2), "currency": self.config.currency}


def severity_view(config: IntigritiSimConfig, snap: SeveritySnapshot | None) -> Json:
    if snap is None:
        return None  # type: ignore[return-value]
    return {
        "id": config.enums.entry("severity", snap.key).id,
        "vector": snap.vector,
        "value": config.enums.entry("severity", snap.key).value,
        "score": snap.score,
    }


def user_view(person: Person | None, with_avatar: bool = True) -> Json | None:
    if person is None:
        return None
    view: Json = {"userId": person.user_id, "userName": person.user_name}
    if with_avatar:
        view["avatarUrl"] = None
    view["role"] = person.role
    return view


def company_user_view(person: Person | None) -> Json | None:
    view = user_view(person)
    if view is not None and person is not None:
        view["email"] = person.email
    return view


def researcher_view(config: IntigritiSimConfig, person: Person) -> Json:
    view = user_view(person) or {}
    view["ranking"] = {
        "rank": person.rank,
        "reputation": person.reputation,
        "streak": config.enums.view("streak", person.streak),
    }
    view["identityChecked"] = person.identity_checked
    return view


def details_link(config: IntigritiSimConfig, sub: Submission) -> str:
    return f"{config.portal_url}/company/submissions/{sub.program_id}/{sub.code}"


def _payout_total(payouts: list[Payout], kind: str | None = None) -> float | None:
    chosen = [p.amount for p in payouts if kind is None or p.type == kind]
    return sum(chosen) if chosen else None


def _state_core(view: View, sub: Submission) -> Json:
    enums = view.config.enums
    return {
        "status": enums.view("status", sub.status),
        "closeReason": enums.view("close_reason", sub.close_reason),
    }


def submission_overview(view: View, sub: Submission) -> Json:
    config = view.config
    return {
        "code": sub.code,
        "originators": {"programId": sub.program_id, "pentestCode": None},
        "internalReference": _reference(sub),
        "title": sub.title,
        "severity": severity_view(config, sub.severity),
        "state": _state_core(view, sub),
        "totalPayout": view.money(_payout_total(sub.payouts)),
        "createdAt": sub.created_at,
        "lastUpdatedAt": sub.last_updated_at,
        "awaitingFeedback": sub.awaiting_feedback,
        "destroyed": False,
        "assignee": company_user_view(sub.assignee),
        "tags": list(sub.tags),
        "groupId": None,
        "submitter": researcher_view(config, sub.submitter),
        "collaboratorCount": 0,
        "webLinks": {"details": details_link(config, sub)},
    }


def _reference(sub: Submission) -> Json | None:
    ref = sub.internal_reference
    return None if ref is None else {"reference": ref.reference, "url": ref.url}


def find_domain(view: View, sub: Submission) -> Domain | None:
    program = view.programs.get(sub.program_id)
    domains = program.domains if program is not None else []
    return next((d for d in domains if d.id == sub.report.domain_id), None)


def _report(view: View, sub: Submission) -> Json:
    config, report = view.config, sub.report
    domain = find_domain(view, sub)
    secret = config.file_secret.get_secret_value()
    ttl = config.attachment_ttl_seconds
    return {
        "originalTitle": report.original_title,
        "type": report.type.model_dump(),
        "questions": [
            {
                "question": q.question,
                "type": config.enums.view("question_type", q.type),
                "answer": q.answer,
            }
            for q in report.questions
        ],
        "domain": None
        if domain is None
        else {
            "companyAssetId": domain.asset_id,
            "name": domain.endpoint,
            "motivation": report.motivation,
            "type": config.enums.view("domain_type", domain.type),
            "tier": config.enums.view("domain_tier", domain.tier),
            "description": domain.description,
        },
        "endpointVulnerableComponent": report.endpoint,
        "pocDescription": report.poc_description,
        "impact": report.impact,
        "personalData": report.personal_data,
        "recommendedSolution": report.recommended_solution,
        "attachments": [
            {
                "url": signed_url(view.base_url, secret, a.code, view.now, ttl),
                "code": a.code,
            }
            for a in report.attachments
        ],
        "ip": report.ip,
    }


def _duplicate_info(sub: Submission) -> Json | None:
    if sub.duplicate_parent is None and not sub.duplicate_children:
        return None
    return {
        "parentSubmissionCode": sub.duplicate_parent,
        "childSubmissionCodes": list(sub.duplicate_children),
    }


def submission_detail(view: View, sub: Submission) -> Json:
    config = view.config
    return {
        "code": sub.code,
        "originators": {"programId": sub.program_id, "pentestCode": None},
        "internalReference": _reference(sub),
        "title": sub.title,
        "report": _report(view, sub),
        "state": {
            **_state_core(view, sub),
            "duplicateInfo": _duplicate_info(sub),
            "validatedAt": sub.validated_at,
            "acceptedAt": sub.accepted_at,
            "closedAt": sub.closed_at,
            "archivedAt": sub.archived_at,
        },
        "severity": severity_view(config, sub.severity),
        "awaitingFeedback": sub.awaiting_feedback,
        "reward": {
            "totalPayout": view.money(_payout_total(sub.payouts)),
            "totalBountyPayout": view.money(_payout_total(sub.payouts, "bounty")),
            "totalBonusPayout": view.money(_payout_total(sub.payouts, "bonus")),
            "possibleBounty": view.money(sub.possible_bounty),
            "totalRetestBountyPayout": view.money(
                _payout_total(sub.payouts, "retest_bounty")
            ),
        },
        "createdAt": sub.created_at,
        "destroyed": None,
        "assignee": company_user_view(sub.assignee),
        "tags": list(sub.tags),
        "groupId": None,
        "submitter": researcher_view(config, sub.submitter),
        "lastUpdated": {
            "lastUpdater": user_view(sub.last_updater),
            "lastUpdatedAt": sub.last_updated_at,
        },
        "attachmentCount": len(sub.report.attachments),
        "webLinks": {"details": details_link(config, sub)},
        "integrationCount": 1 if sub.internal_reference else 0,
        "customFields": [],
        "aiSummary": None,
    }


def event_view(config: IntigritiSimConfig, event: Event) -> Json:
    """One event; the extra keys are those of API.md section 4.5."""
    enums = config.enums
    view: Json = {
        "type": enums.view("event_type", event.kind),
        "createdAt": event.created_at,
        "visibility": enums.view("visibility", event.visibility),
        # Event users carry no email or avatar (API.md section 4.5).
        "user": user_view(event.user, with_avatar=False),
    }
    return view | _event_extras(config, event)


def _event_extras(config: IntigritiSimConfig, event: Event) -> Json:
    enums = config.enums
    kind = event.kind
    if kind == "status_changed" and event.from_state and event.to_state:
        to: Json = {
            "status": enums.view("status", event.to_state.status),
            "closeReason": enums.view("close_reason", event.to_state.close_reason),
        }
        if event.duplicate_of is not None:
            to["duplicateInfo"] = {
                "parentSubmissionCode": event.duplicate_of,
                "childSubmissionCodes": [],
            }
        before = {
            "status": enums.view("status", event.from_state.status),
            "closeReason": enums.view("close_reason", event.from_state.close_reason),
        }
        return {"from": before, "to": to}
    if kind == "severity_changed":
        return {
            "from": severity_view(config, event.from_severity),
            "to": severity_view(config, event.to_severity),
        }
    if kind == "message_placed":
        return {
            "message": event.message,
            "attachments": [],
            "lastEditedAt": None,
            "deletedAt": None,
        }
    if kind == "assignee_changed":
        return {
            "from": company_user_view(event.from_assignee),
            "to": company_user_view(event.to_assignee),
        }
    if kind == "payout_added" and event.payout is not None:
        payout = event.payout
        return {
            "amount": {"value": payout.amount, "currency": config.currency},
            "payoutType": enums.view("payout_type", payout.type),
            "payoutId": payout.id,
        }
    if kind in ("tag_added", "tag_removed"):
        side = {"tag": event.tag}
        return (
            {"from": None, "to": side}
            if kind == "tag_added"
            else {
                "from": side,
                "to": None,
            }
        )
    if kind == "internal_reference_changed" and event.reference is not None:
        return {"from": None, "to": event.reference.model_dump()}
    if kind == "title_changed":
        return {"from": {"title": event.from_text}, "to": {"title": event.to_text}}
    return {}
