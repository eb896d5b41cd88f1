"""Moving a Jira issue to a target status by the shortest path of transitions.

Jira shows only the transitions available *from the current status*, and
reading a whole workflow needs admin rights. So the map is learned: every
``GET /transitions`` answer is remembered per (project, status), across
issues. A path is searched on what is known; when the target is not yet in
sight, the walk steps to the nearest status not explored yet (never into a
done status unless the target is done) and looks again. Each step re-reads
the transitions, since conditions may differ per issue. Transitions are
chosen by where they lead, never by their name.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from syncd.errors import PermanentError
from syncd.jira.issues import Transition
from syncd.mapping.status import JiraTarget

log = structlog.get_logger("syncd.workflow")

MAX_STEPS = 6
DONE = "done"


class NoPathError(PermanentError):
    """No transitions lead from the issue's status to the target."""


class Transitions(Protocol):
    def transitions(self, issue_id: str) -> list[Transition]: ...

    def transition(
        self,
        issue_id: str,
        transition_id: str,
        fields: dict[str, Any] | None = None,
    ) -> None: ...


class WorkflowMap:
    """Transitions seen per (project, status); thread-safe."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[Transition, ...]] = {}
        self._lock = threading.Lock()

    def learn(self, project: str, status: str, found: list[Transition]) -> None:
        with self._lock:
            self._known[(project, status.casefold())] = tuple(found)

    def known(self, project: str, status: str) -> tuple[Transition, ...] | None:
        with self._lock:
            return self._known.get((project, status.casefold()))

    def path(
        self,
        project: str,
        start: str,
        goal: Callable[[Transition], bool],
        usable: Callable[[Transition], bool],
    ) -> list[Transition] | None:
        """The fewest known transitions from ``start`` to one ``goal`` accepts."""
        queue: deque[tuple[str, list[Transition]]] = deque([(start, [])])
        seen = {start.casefold()}
        while queue:
            status, steps = queue.popleft()
            for transition in self.known(project, status) or ():
                if not usable(transition):
                    continue
                route = [*steps, transition]
                if goal(transition):
                    return route
                if transition.to_status.casefold() not in seen:
                    seen.add(transition.to_status.casefold())
                    queue.append((transition.to_status, route))
        return None


def screen_fields(
    transition: Transition, resolution: str | None
) -> dict[str, Any] | None:
    """What to send with a transition: only fields its screen has.

    None when the screen requires a field syncd cannot fill.
    """
    fields: dict[str, Any] = {}
    if "resolution" in transition.fields and resolution is not None:
        fields["resolution"] = {"name": resolution}
    if any(name not in fields for name in transition.required_fields):
        return None
    return fields


def move_issue(
    tracker: Transitions,
    workflows: WorkflowMap,
    issue_id: str,
    project: str,
    status: str,
    target: JiraTarget,
    default_resolution: str | None = None,
) -> list[Transition]:
    """Walk the issue from ``status`` to ``target``; the transitions made.

    Already there: nothing is sent. Raises NoPathError when the target
    cannot be reached from here.
    """
    resolution = target.resolution or default_resolution
    made: list[Transition] = []
    visited = {status.casefold()}

    def arrives(transition: Transition) -> bool:
        return target.reached_by(transition.to_status, transition.to_category)

    def usable(transition: Transition) -> bool:
        # Passing through a done status would close the issue on the way.
        fillable = screen_fields(transition, resolution) is not None
        return fillable and (transition.to_category != DONE or arrives(transition))

    while len(made) < MAX_STEPS:
        workflows.learn(project, status, tracker.transitions(issue_id))
        route = workflows.path(project, status, arrives, usable) or _explore(
            workflows, project, status, visited, usable
        )
        if not route:
            break
        step = route[0]
        tracker.transition(issue_id, step.id, screen_fields(step, resolution))
        made.append(step)
        log.info(
            "workflow.transitioned",
            jira_id=issue_id,
            transition=step.id,
            to_status=step.to_status,
        )
        if arrives(step):
            return made
        status = step.to_status
        visited.add(status.casefold())

    raise NoPathError(
        f"Jira issue {issue_id} in project {project}: no transitions lead from "
        f"{status!r} to {target.describe()} (tried {len(made)} step(s))"
    )


def _explore(
    workflows: WorkflowMap,
    project: str,
    status: str,
    visited: set[str],
    usable: Callable[[Transition], bool],
) -> list[Transition] | None:
    """A known path to the nearest status whose transitions are not known."""

    def unexplored(transition: Transition) -> bool:
        return (
            transition.to_status.casefold() not in visited
            and workflows.known(project, transition.to_status) is None
        )

    return workflows.path(project, status, unexplored, usable)
