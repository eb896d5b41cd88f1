"""Status both ways, without ping-pong.

Redis keeps a *baseline* per submission: both sides' status when syncd last
saw them agree or last wrote one. A side whose status differs from its
baseline has been changed by someone; syncd's own writes move the baseline
with them, so they never look like a change (whoever's account made them,
and even when the webhook or the changelog names no author). Then:

- both agree (the mapping's target for the Intigriti state is reached in
  Jira): nothing is written, the baseline is refreshed;
- one side changed: it is carried to the other;
- both changed: ``status.owner`` decides; ``newest`` compares Intigriti's
  ``lastUpdatedAt`` with Jira's ``updated`` (a tie goes to Intigriti), and
  the losing side is told in a comment;
- neither changed yet they disagree: an earlier write was refused; nothing
  is retried until one side changes again.

Jira changes are found by polling (``poll_jira``) or pushed by a webhook
receiver (``sync_issue``). The poll asks ``updated >= "-Nm"``: a period
relative to Jira's own clock, so it means the same whatever time zone the
bot's Jira profile has (zone-less JQL dates are read in that zone, with
minute granularity). N covers the time since the cursor, stored as UTC unix
seconds, plus the overlap window, rounded up to whole minutes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import structlog

from syncd.comments import (
    NOTE_PREFIX,
    echo_key,
    pull_comments,
    push_messages,
    recover_carried,
)
from syncd.errors import NotFoundError, PermanentError, RejectedError, TransientError
from syncd.intigriti.enums import (
    CloseReason,
    EnumTables,
    StatusTrigger,
    SubmissionStatus,
)
from syncd.intigriti.models import Submission, SubmissionEvent
from syncd.jira.issues import FoundIssue, IssueSnapshot, Transition
from syncd.jira.models import Flavour, IssueRef
from syncd.mapping.status import IntigritiState, JiraStatus, StatusMapping
from syncd.state import State
from syncd.workflow import WorkflowMap, move_issue

log = structlog.get_logger("syncd.status")

JIRA_CURSOR = "jira:issues"

# The company triggers and the moves they make (API.md 5.3, simulator table).
# The ids and rules are a GUESS of API.md, so Intigriti stays the judge: an
# archived submission is asked to reopen too, and its refusal is reported.
TRIGGERS: dict[StatusTrigger, dict[SubmissionStatus, SubmissionStatus]] = {
    StatusTrigger.ACCEPT: {
        SubmissionStatus.TRIAGE: SubmissionStatus.ACCEPTED,
        SubmissionStatus.PENDING: SubmissionStatus.ACCEPTED,
    },
    StatusTrigger.CLOSE: {
        SubmissionStatus.TRIAGE: SubmissionStatus.CLOSED,
        SubmissionStatus.PENDING: SubmissionStatus.CLOSED,
        SubmissionStatus.ACCEPTED: SubmissionStatus.CLOSED,
    },
    StatusTrigger.REOPEN: {
        SubmissionStatus.TRIAGE: SubmissionStatus.PENDING,
        SubmissionStatus.CLOSED: SubmissionStatus.PENDING,
        SubmissionStatus.ARCHIVED: SubmissionStatus.PENDING,
    },
}


class Side(StrEnum):
    INTIGRITI = "intigriti"
    JIRA = "jira"


class IssueResult(StrEnum):
    """What ``sync_issue`` did with one Jira issue."""

    SYNCED = "synced"
    UNCHANGED = "unchanged"
    IGNORED = "ignored"
    FAILED = "failed"
    DEFERRED = "deferred"


class StateSource(Protocol):
    def get_submission(self, code: str) -> Submission: ...

    def change_state(
        self,
        code: str,
        trigger: StatusTrigger,
        close_reason: CloseReason | None = None,
        duplicate_of: str | None = None,
    ) -> None: ...

    def add_comment(self, code: str, message: str, *, internal: bool) -> str: ...

    def list_events(
        self, code: str, created_since: datetime | None
    ) -> list[SubmissionEvent]: ...


class WorkflowTracker(Protocol):
    flavour: Flavour

    def get_issue(self, issue_id: str) -> IssueSnapshot: ...

    def transitions(self, issue_id: str) -> list[Transition]: ...

    def transition(
        self,
        issue_id: str,
        transition_id: str,
        fields: Mapping[str, Any] | None = None,
    ) -> None: ...

    def add_comment(
        self,
        issue_id: str,
        body: str | dict[str, Any],
        visibility: Mapping[str, str] | None = None,
    ) -> str: ...

    def search(
        self,
        jql: str,
        fields: Sequence[str] = ("summary",),
        *,
        page_size: int = 100,
        reconcile_ids: Sequence[str] = (),
    ) -> list[FoundIssue]: ...

    def myself(self) -> str: ...


def trigger_path(
    start: SubmissionStatus, goal: SubmissionStatus
) -> list[StatusTrigger] | None:
    """The fewest triggers that move a submission from ``start`` to ``goal``.

    Closing is only ever the last step: a path never closes a submission on
    its way somewhere else.
    """
    paths: dict[SubmissionStatus, list[StatusTrigger]] = {start: []}
    frontier = [start]
    while frontier:
        status = frontier.pop(0)
        if status == goal:
            return paths[status]
        for trigger, moves in TRIGGERS.items():
            target = moves.get(status)
            passes_closed = target == SubmissionStatus.CLOSED != goal
            if target is not None and target not in paths and not passes_closed:
                paths[target] = [*paths[status], trigger]
                frontier.append(target)
    return None


class StatusSync:
    """Reconciles status and comments of linked submissions and issues."""

    def __init__(
        self,
        *,
        source: StateSource,
        tracker: WorkflowTracker,
        mapping: StatusMapping,
        state: State,
        tables: EnumTables,
        projects: Sequence[str],
        overlap_seconds: int = 300,
        claim_ttl_seconds: int = 300,
        concurrency: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._concurrency = concurrency
        self._tracker = tracker
        self._mapping = mapping
        self._state = state
        self._tables = tables
        self._projects = sorted(set(projects))
        self._overlap = overlap_seconds
        self._claim_ttl = claim_ttl_seconds
        self._clock = clock
        self._workflows = WorkflowMap()
        self._bot: str | None = None
        self._bot_lock = threading.Lock()

    def bot(self) -> str:
        """The bot's Jira account (accountId on Cloud, name on DC), read once."""
        with self._bot_lock:
            if self._bot is None:
                self._bot = self._tracker.myself()
            return self._bot

    # -- Intigriti side changed (called by the engine, status first) ---------

    def sync_submission(
        self, submission: Submission, link: IssueRef, issue: IssueSnapshot | None
    ) -> int:
        """Reconcile one linked submission; the number of writes made.

        ``issue``: the issue as the caller read it in this sync, before
        writing to it (None: read it here).
        """
        if issue is None:
            issue = self._tracker.get_issue(link.id)
        return self.reconcile(submission, issue)

    def recover_carried(self, code: str, issue: IssueSnapshot) -> int:
        """Before adopting an issue Redis had forgotten: what was carried."""
        return recover_carried(
            self._source, self._state, self._mapping.comments, code, issue, self.bot()
        )

    def push_messages(
        self, code: str, link: IssueRef, full_url: str | None = None
    ) -> int:
        return push_messages(
            self._source,
            self._tracker,
            self._state,
            self._mapping.comments,
            code,
            link,
            full_url,
        )

    # -- Jira side changed ------------------------------------------------

    def poll_jira(self, stop: threading.Event | None = None) -> Counter[IssueResult]:
        """Handle issues updated since the cursor (minus the overlap)."""
        started = self._clock()
        cursor = self._state.cursor(JIRA_CURSOR)
        lookback = self._overlap + (0 if cursor is None else started - cursor)
        minutes = max(1, math.ceil(lookback / 60))
        projects = ", ".join(f'"{key}"' for key in self._projects)
        jql = f'project in ({projects}) AND updated >= "-{minutes}m" ORDER BY updated'

        results: Counter[IssueResult] = Counter()
        changed: dict[str, None] = {}  # a hit may be listed twice while paging
        for hit in self._tracker.search(jql, fields=("updated", "status")):
            if self._state.code_for_issue(hit.id) is None:
                continue
            if self._state.issue_seen(hit.id) == hit.fields.get("updated"):
                results[IssueResult.UNCHANGED] += 1
            else:
                changed[hit.id] = None

        def handle(issue_id: str) -> IssueResult:
            if stop is not None and stop.is_set():
                return IssueResult.DEFERRED
            return self.sync_issue(issue_id)

        # Each issue under its submission's claim, several at once (after a
        # backfill every issue syncd made shows up here once).
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            results.update(pool.map(handle, changed))
        if not results[IssueResult.DEFERRED]:
            self._state.advance_cursor(JIRA_CURSOR, int(started))
        log.info("status.jira_polled", minutes=minutes, **dict(results))
        return results

    def sync_issue(self, issue_id: str, actor: str | None = None) -> IssueResult:
        """Bring one Jira issue's change across; for pollers and webhooks.

        ``actor`` is the account a webhook names (``user.accountId`` on
        Cloud, ``user.name`` on DC): events caused by syncd itself are
        ignored without a read.
        """
        code = self._state.code_for_issue(issue_id)
        if code is None:
            return IssueResult.IGNORED
        with structlog.contextvars.bound_contextvars(submission=code, jira_id=issue_id):
            try:
                if actor is not None and actor == self.bot():
                    return IssueResult.IGNORED
            except TransientError:
                return IssueResult.DEFERRED
            # The submission's claim: a cycle syncing it from the Intigriti
            # side must not write at the same time (it is retried next poll).
            token = self._state.claim(code, self._claim_ttl)
            if token is None:
                return IssueResult.DEFERRED
            try:
                return self._carry_issue(code, issue_id)
            finally:
                self._state.release_claim(code, token)

    def _carry_issue(self, code: str, issue_id: str) -> IssueResult:
        try:
            issue = self._tracker.get_issue(issue_id)
            submission = self._source.get_submission(code)
            writes = self.reconcile(submission, issue)
            writes += pull_comments(
                self._source,
                self._state,
                self._mapping.comments,
                code,
                issue,
                self.bot(),
            )
        except TransientError as exc:
            log.warning("status.issue_deferred", error=type(exc).__name__)
            return IssueResult.DEFERRED
        except PermanentError as exc:
            log.error("status.issue_failed", error=type(exc).__name__, reason=str(exc))
            return IssueResult.FAILED
        if issue.updated is not None:
            self._state.record_issue_seen(issue_id, _jira_time(issue))
        return IssueResult.SYNCED if writes else IssueResult.UNCHANGED

    # -- the decision ------------------------------------------------------

    def reconcile(self, submission: Submission, issue: IssueSnapshot) -> int:
        """Compare both sides with the baseline and carry the change; writes."""
        code = submission.code
        current = self._intigriti_state(submission)
        if current is None:
            return 0
        jira = JiraStatus(
            name=issue.status,
            category=issue.status_category,
            resolution=issue.resolution,
        )
        if self._mapping.agree(current, jira, issue.project):
            self._state.record_status(code, current.key(), jira.name)
            return 0

        baseline = self._state.status_baseline(code)
        intigriti_changed = baseline is None or baseline[0] != current.key()
        jira_changed = baseline is not None and baseline[1] != jira.name
        if intigriti_changed and jira_changed:
            winner = self._conflict_winner(submission, issue)
            writes = self._tell_loser(winner, submission, issue, current, jira)
        elif jira_changed:
            winner, writes = Side.JIRA, 0
        elif intigriti_changed:
            winner, writes = Side.INTIGRITI, 0
        else:
            return 0

        if winner is Side.INTIGRITI:
            return writes + self._to_jira(code, current, issue)
        return writes + self._to_intigriti(submission, current, issue, jira)

    def _intigriti_state(self, submission: Submission) -> IntigritiState | None:
        status = submission.status_name(self._tables)
        if status is None:
            return None
        reason = submission.close_reason_name(self._tables)
        closed = status in (SubmissionStatus.CLOSED, SubmissionStatus.ARCHIVED)
        return IntigritiState(status=status, close_reason=reason if closed else None)

    def _conflict_winner(self, submission: Submission, issue: IssueSnapshot) -> Side:
        owner = self._mapping.owner
        if owner != "newest":
            return Side(owner)
        if issue.updated is not None and issue.updated > submission.last_updated_at:
            return Side.JIRA
        return Side.INTIGRITI

    def _tell_loser(
        self,
        winner: Side,
        submission: Submission,
        issue: IssueSnapshot,
        current: IntigritiState,
        jira: JiraStatus,
    ) -> int:
        log.warning("status.conflict", winner=winner.value, jira_key=issue.key)
        if winner is Side.INTIGRITI:
            text = (
                f"{NOTE_PREFIX}the status changed on both sides. Intigriti's change "
                f"({current.status}) is newer and wins over Jira's ({jira.name})."
            )
            self._jira_note(issue, text)
        else:
            text = (
                f"{NOTE_PREFIX}the status changed on both sides. Jira's change "
                f"({jira.name}) is newer and wins over Intigriti's ({current.status})."
            )
            self._state.record_carried(submission.code, echo_key(text))
            self._source.add_comment(submission.code, text, internal=True)
        return 1

    def _jira_note(self, issue: IssueSnapshot, text: str) -> None:
        from syncd.comments import render_comment

        body = render_comment(text, "", "", self._tracker.flavour)
        self._tracker.add_comment(issue.id, body)

    # -- writes ------------------------------------------------------------

    def _to_jira(self, code: str, current: IntigritiState, issue: IssueSnapshot) -> int:
        """Move the issue where the mapping says; PermanentError if impossible."""
        target = self._mapping.jira_target(current, issue.project)
        if target is None:
            self._state.record_status(code, current.key(), issue.status)
            return 0
        made = move_issue(
            self._tracker,
            self._workflows,
            issue.id,
            issue.project,
            issue.status,
            target,
            self._mapping.default_resolution,
        )
        self._state.record_status(code, current.key(), made[-1].to_status)
        log.info(
            "status.jira_moved",
            jira_key=issue.key,
            to_status=made[-1].to_status,
            steps=len(made),
        )
        return len(made)

    def _to_intigriti(
        self,
        submission: Submission,
        current: IntigritiState,
        issue: IssueSnapshot,
        jira: JiraStatus,
    ) -> int:
        """Apply the triggers Jira's status asks for; refusals go to Jira."""
        code = submission.code
        wanted = self._mapping.intigriti_state(jira)
        if wanted is None or wanted.status == current.status:
            self._state.record_status(code, current.key(), jira.name)
            return 0
        path = trigger_path(current.status, wanted.status)
        parent = None
        if wanted.close_reason is CloseReason.DUPLICATE:
            parent = self._duplicate_parent(issue)
        problem = None
        if path is None:
            problem = f"no trigger leads from {current.status} to {wanted.status}"
        elif wanted.close_reason is CloseReason.DUPLICATE and parent is None:
            problem = (
                "closing as duplicate needs the original: link it with "
                f"'{self._mapping.duplicate.link_type}' or add the label "
                f"'{self._mapping.duplicate.label_prefix}<KEY>'"
            )
        writes = 0
        for trigger in path or ():
            if problem is not None:
                break
            closing = trigger is StatusTrigger.CLOSE
            try:
                self._source.change_state(
                    code,
                    trigger,
                    wanted.close_reason if closing else None,
                    parent if closing else None,
                )
                writes += 1
            except (RejectedError, NotFoundError) as exc:
                problem = f"Intigriti refused {trigger}: {exc}"

        if problem is None:
            self._state.record_status(code, wanted.key(), jira.name)
            log.info("status.intigriti_changed", to_status=wanted.status.value)
            return writes
        # Not retried: Intigriti's state stands, Jira is told and moved back
        # to match it, so both sides agree again and nothing bounces.
        log.warning("status.intigriti_refused", reason=problem)
        done = self._source.get_submission(code) if writes else submission
        after = self._intigriti_state(done) or current
        self._state.record_status(code, after.key(), jira.name)
        self._jira_note(
            issue,
            f"syncd could not set {code} on Intigriti to {wanted.status}"
            f"{'/' + wanted.close_reason if wanted.close_reason else ''}: {problem}. "
            "The issue goes back to the status that matches Intigriti.",
        )
        try:
            moved = self._to_jira(code, after, issue)
        except PermanentError as exc:
            log.error("status.jira_not_restored", reason=str(exc))
            moved = 0
        return writes + 1 + moved

    def _duplicate_parent(self, issue: IssueSnapshot) -> str | None:
        """The submission the issue duplicates, by issue link or by label."""
        convention = self._mapping.duplicate
        for link in issue.fields.get("issuelinks") or ():
            kind = (link.get("type") or {}).get("name")
            other = link.get("outwardIssue")
            if kind == convention.link_type and other is not None:
                code = self._state.code_for_issue(str(other.get("id")))
                if code is not None:
                    return code
        prefix = convention.label_prefix
        for label in issue.labels:
            if prefix and label.lower().startswith(prefix.lower()):
                key = label[len(prefix) :].upper()
                try:
                    other_issue = self._tracker.get_issue(key)
                except NotFoundError:
                    continue
                code = self._state.code_for_issue(other_issue.id)
                if code is not None:
                    return code
        return None


def _jira_time(issue: IssueSnapshot) -> str:
    raw = issue.fields.get("updated")
    return str(raw) if raw is not None else ""


def mapping_projects(mapping: Any) -> list[str]:
    """Every Jira project a mapping can route issues to."""
    projects = {mapping.defaults.project}
    projects.update(rule.project for rule in mapping.rules if rule.project)
    return sorted(projects)
