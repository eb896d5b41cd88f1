"""Webhook bodies beyond the common fields, per API.md section 6.

The body carries no type discriminator; the `x-intigriti-event` header
names it. Only creations, status and severity changes and new messages are
delivered, as in Intigriti's webhook settings.
"""

from __future__ import annotations

from typing import Any

from .config import IntigritiSimConfig
from .model import Event, Program, Submission
from .shapes import severity_view


def event_fields(
    config: IntigritiSimConfig, event: Event
) -> tuple[str, dict[str, Any]] | None:
    """The webhook name and its specific fields, or None if none is sent."""
    enums = config.enums
    role = {"userRole": event.user.role}
    if event.kind == "status_changed" and event.from_state and event.to_state:
        return "SubmissionStatusChanged", {
            **role,
            "fromStatus": enums.view("status", event.from_state.status),
            "toStatus": enums.view("status", event.to_state.status),
            "closeReason": enums.view("close_reason", event.to_state.close_reason),
        }
    if event.kind == "severity_changed":
        return "SubmissionSeverityChanged", {
            **role,
            "fromSeverity": severity_view(config, event.from_severity),
            "toSeverity": severity_view(config, event.to_severity),
        }
    if event.kind == "message_placed":
        return "SubmissionMessagePlaced", {
            **role,
            "isInternal": event.visibility == "internal",
        }
    return None


def created_fields(
    config: IntigritiSimConfig, sub: Submission, program: Program | None
) -> dict[str, Any]:
    domain = next(
        (
            d.endpoint
            for d in (program.domains if program else [])
            if d.id == sub.report.domain_id
        ),
        None,
    )
    return {
        "severity": severity_view(config, sub.severity),
        "type": sub.report.type.name,
        "domain": domain,
    }
