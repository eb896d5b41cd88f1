"""The flat v1.2 submission shapes (API.md sections 4.8, 4.9 and 9.2).

v1.2 predates the `report`/`state` nesting of v2: report fields sit at the
top level, the program is embedded, `researcher` stands for `submitter`,
`totalPayout` is a bare number and the lifecycle timestamps are top-level.
"""

from __future__ import annotations

from .model import Event, Person, Submission
from .shapes import (
    Json,
    View,
    company_user_view,
    details_link,
    event_view,
    find_domain,
)


def _v12_user(person: Person | None, with_id: bool) -> Json | None:
    view = company_user_view(person)
    if view is not None and not with_id:
        view.pop("userId")
    return view


def _researcher(view: View, person: Person, with_id: bool) -> Json:
    researcher: Json = {"userId": person.user_id} if with_id else {}
    researcher |= {
        "userName": person.user_name,
        "avatarUrl": None,
        "ranking": {
            "rank": person.rank,
            "reputation": person.reputation,
            "streak": view.config.enums.view("streak", person.streak),
        },
        "identityChecked": person.identity_checked,
    }
    return researcher


def v12_item(view: View, sub: Submission, detail: bool = False) -> Json:
    config, enums = view.config, view.config.enums
    program = view.programs[sub.program_id]
    domain = find_domain(view, sub)
    link = details_link(config, sub)
    program_view: Json = {"id": program.id} if detail else {}
    program_view |= {
        "name": program.name,
        "handle": program.handle,
        "logoUrl": None,
        "confidentialityLevel": enums.view("confidentiality", program.confidentiality),
        "status": enums.view("program_status", program.status),
        "statusTrigger": enums.view("program_status_trigger", "publish"),
    }
    severity = enums.entry("severity", sub.severity.key)
    return {
        "code": sub.code,
        "internalReference": None
        if sub.internal_reference is None
        else sub.internal_reference.model_dump(),
        "title": sub.title,
        "originalTitle": sub.report.original_title,
        "program": program_view,
        "type": sub.report.type.model_dump(),
        "severity": {
            "id": severity.id,
            "vector": sub.severity.vector,
            "value": severity.value,
        },
        "domain": None
        if domain is None
        else {
            "value": domain.endpoint,
            "motivation": sub.report.motivation,
            "type": enums.view("domain_type", domain.type),
            "bountyTable": enums.view("domain_tier", domain.tier),
        }
        | ({"description": domain.description} if detail else {}),
        "endpointVulnerableComponent": sub.report.endpoint,
        "state": {
            "status": enums.view("status", sub.status),
            "closeReason": enums.view("close_reason", sub.close_reason),
        },
        "totalPayout": round(sum(p.amount for p in sub.payouts), 2),
        "createdAt": sub.created_at,
        "lastUpdatedAt": sub.last_updated_at,
        "validatedAt": sub.validated_at,
        "acceptedAt": sub.accepted_at,
        "closedAt": sub.closed_at,
        "archivedAt": sub.archived_at,
        "awaitingFeedback": sub.awaiting_feedback,
        "assignee": _v12_user(sub.assignee, detail),
        "researcher": _researcher(view, sub.submitter, detail),
        "lastUpdater": _v12_user(sub.last_updater, detail),
        "links": {"details": link},
        "webLinks": {"details": link},
        "submissionDetailUrl": link,
    }


def v12_detail(view: View, sub: Submission) -> Json:
    config, enums = view.config, view.config.enums
    item = v12_item(view, sub, detail=True)
    parent_link = None
    if sub.duplicate_parent is not None:
        parent_link = f"{config.portal_url}/company/submissions/{sub.duplicate_parent}"
    item["state"]["duplicateSubmissionUrl"] = parent_link
    bounty = sum(p.amount for p in sub.payouts if p.type == "bounty")
    bonus = sum(p.amount for p in sub.payouts if p.type == "bonus")
    end = sub.closed_at or int(view.now)
    return item | {
        "questions": [
            {"question": q.question, "answer": q.answer} for q in sub.report.questions
        ],
        "pocDescription": sub.report.poc_description,
        "impact": sub.report.impact,
        "personalData": sub.report.personal_data,
        "recommendedSolution": sub.report.recommended_solution,
        "duplicatedSubmissionUrls": [
            f"{config.portal_url}/company/submissions/{child}"
            for child in sub.duplicate_children
        ],
        "daysOpen": max(0, (end - sub.created_at) // 86400),
        "payouts": [
            {
                "amount": p.amount,
                "createdAt": p.created_at,
                "type": enums.view("payout_type", p.type),
            }
            for p in sub.payouts
        ],
        "totalBountyPayout": round(bounty, 2),
        "totalBonusPayout": round(bonus, 2),
        "destroyed": None,
        "tags": list(sub.tags),
        "attachments": [],
        "attachmentUrls": [],
        "files": [],
        "groupLegacy": None,
        "events": [_v12_event(view, e) for e in sub.events],
        "integrationReferences": []
        if sub.internal_reference is None
        else [{"type": "Jira", **sub.internal_reference.model_dump()}],
    }


def _v12_event(view: View, event: Event) -> Json:
    """v1.2 embedded the v2 event objects with a numeric amount."""
    shaped = event_view(view.config, event)
    if isinstance(shaped.get("amount"), dict):
        shaped["amount"] = shaped["amount"]["value"]
    if "message" in shaped:
        shaped["attachmentUrls"] = []
    return shaped
