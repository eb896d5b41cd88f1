"""Workflows: which transitions leave a status and what their screens take."""

from __future__ import annotations

from typing import Any

from syncd.sim.jira import meta, render
from syncd.sim.jira.config import ProjectConfig, TransitionConfig, WorkflowConfig
from syncd.sim.jira.errors import JiraApiError
from syncd.sim.jira.render import Ctx


def available(workflow: WorkflowConfig, status: str) -> list[TransitionConfig]:
    """Transitions from `status`; a transition without sources is global."""
    return [
        t
        for t in workflow.transitions
        if (not t.sources or status in t.sources) and t.target != status
    ]


def find(workflow: WorkflowConfig, status: str, transition_id: Any) -> TransitionConfig:
    for transition in available(workflow, status):
        if transition.id == str(transition_id):
            return transition
    message = f"Transition id '{transition_id}' is not valid for this issue."
    raise JiraApiError(400, [message])


def describe(
    ctx: Ctx,
    project: ProjectConfig,
    transition: TransitionConfig,
    with_fields: bool,
) -> dict[str, Any]:
    """One entry of `GET /issue/{id}/transitions`."""
    target = ctx.config.status(transition.target)
    body: dict[str, Any] = {
        "id": transition.id,
        "name": transition.name,
        "to": render.status(ctx, target),
        "hasScreen": bool(transition.screen.fields),
        "isGlobal": not transition.sources,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "isLooped": False,
    }
    if with_fields:
        body["fields"] = {
            entry["fieldId"]: entry
            for entry in meta.screen_fields(ctx, project, transition.screen)
        }
    return body
