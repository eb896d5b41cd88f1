"""The sync engine: Intigriti submissions in, Jira issues out.

One cycle reads the submissions updated since the cursor (minus an overlap
window), syncs each one, and moves the cursor only past submissions whose
outcome is final. Per submission: fetch, map, write, record.

Every write is guarded by a digest of what was last written, so replaying a
window costs reads only, and an unchanged submission costs no Jira write.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import structlog

from syncd.attachments import AttachmentSync
from syncd.errors import (
    PermanentError,
    SyncdError,
    TransientError,
)
from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import Submission, SubmissionSummary
from syncd.jira.models import Flavour, IssueRef
from syncd.linking import (
    UNCERTAIN_CREATE_SETTLE_SECONDS,
    IssueLinks,
    LinkTracker,
)
from syncd.mapping.build import build_draft
from syncd.mapping.draft import IssueDraft
from syncd.mapping.models import Mapping
from syncd.settings import OnDeleted
from syncd.state import Held, State, Written, digest
from syncd.status_sync import IssueResult, StatusSync

log = structlog.get_logger("syncd.engine")

SUBMISSIONS_CURSOR = "intigriti:submissions"
REMOTE_LINK = "@remote_link"
INTERNAL_REFERENCE = "@internal_reference"
# A version newer than this may still change within its second (see
# ``_settled_version``); allows for a little clock skew too.
SEEN_SETTLE_SECONDS = 2.0


class Outcome(StrEnum):
    """What happened to one submission in one cycle."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    QUARANTINED = "quarantined"
    DEFERRED = "deferred"
    """Not done this time (transient failure or claimed elsewhere); retried."""


class ErrorRecorder(Protocol):
    """Where per-submission failures are counted (the metrics, when served)."""

    def record_error(self, source: str, kind: str) -> None: ...


class SubmissionSource(Protocol):
    """The Intigriti side, as the engine needs it."""

    def list_submissions(
        self, updated_since: datetime | None, program_id: str | None = None
    ) -> list[SubmissionSummary]: ...

    def get_submission(self, code: str) -> Submission: ...

    def set_internal_reference(self, code: str, reference: str, url: str) -> None: ...


class IssueTracker(LinkTracker, Protocol):
    """The Jira side, as the engine needs it."""

    flavour: Flavour

    def draft_fields(self, draft: IssueDraft) -> dict[str, Any]: ...

    def create_only_ids(self, draft: IssueDraft) -> frozenset[str]: ...

    def update_issue(self, issue_id: str, fields: dict[str, Any]) -> None: ...

    def add_remote_link(
        self, issue_id: str, global_id: str, url: str, title: str
    ) -> object: ...


@dataclass
class CycleReport:
    """Counters of one cycle, and a few examples for people to look at."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    created: list[tuple[str, str]] = field(default_factory=list)
    cursor: int | None = None
    seconds: float = 0.0
    jira: Counter[IssueResult] = field(default_factory=Counter)
    """Jira issues handled by the status poll, when status sync is on."""

    def count(self, outcome: Outcome) -> int:
        return self.outcomes[outcome]

    def failures(self) -> int:
        """Submissions left for a later cycle or for a person."""
        return self.outcomes[Outcome.DEFERRED] + self.outcomes[Outcome.QUARANTINED]

    def as_dict(self) -> dict[str, Any]:
        return {
            **{outcome.value: self.outcomes[outcome] for outcome in Outcome},
            "cursor": self.cursor,
            **{f"jira_{result.value}": n for result, n in self.jira.items()},
            "seconds": round(self.seconds, 3),
        }


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _settled_version(submission: Submission) -> int | None:
    """The version to remember as seen, or None while it is this recent.

    ``lastUpdatedAt`` has whole seconds: a message placed in the same second
    as the change just read leaves it as it is, and remembering it would
    skip that message until the next change. A recent version is synced
    again on the next pass (the overlap lists it), which costs reads only.
    """
    updated_at = _unix(submission.last_updated_at)
    return None if time.time() - updated_at < SEEN_SETTLE_SECONDS else updated_at


class Engine:
    """Syncs submissions into Jira; safe to run in several threads at once."""

    def __init__(
        self,
        *,
        source: SubmissionSource,
        tracker: IssueTracker,
        mapping: Mapping,
        state: State,
        tables: EnumTables,
        overlap_seconds: int = 300,
        concurrency: int = 8,
        claim_ttl_seconds: int = 300,
        status: StatusSync | None = None,
        attachments: AttachmentSync | None = None,
        errors: ErrorRecorder | None = None,
        settle_seconds: float = UNCERTAIN_CREATE_SETTLE_SECONDS,
        on_deleted: OnDeleted = "report",
    ) -> None:
        self._source = source
        self._tracker = tracker
        self._mapping = mapping
        self._state = state
        self._tables = tables
        self._overlap = timedelta(seconds=overlap_seconds)
        self._concurrency = concurrency
        self._claim_ttl = claim_ttl_seconds
        self._status = status
        self._attachments = attachments
        self._errors = errors
        self._links = IssueLinks(
            state,
            tracker,
            on_deleted=on_deleted,
            settle_seconds=settle_seconds,
            # Adopted after Redis lost the link: what was carried, too.
            on_adopt=None if status is None else status.recover_carried,
        )

    def run_cycle(
        self, *, full: bool = False, stop: threading.Event | None = None
    ) -> CycleReport:
        """One pass over what changed since the cursor (or everything).

        When ``stop`` is set mid-cycle, submissions not yet started are
        deferred, so the cursor stays before them.
        """
        stop = stop or threading.Event()
        started = time.monotonic()
        # Claims a Redis outage kept us from giving up hold their
        # submissions for other replicas too: give them up first.
        self._state.owed.settle()
        cursor = None if full else self._state.cursor(SUBMISSIONS_CURSOR)
        since = (
            None
            if cursor is None
            else datetime.fromtimestamp(cursor, tz=UTC) - self._overlap
        )

        summaries = sorted(
            self._source.list_submissions(updated_since=since),
            key=lambda item: item.last_updated_at,
        )
        report = CycleReport()
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            outcomes = list(
                pool.map(
                    lambda summary: (
                        Outcome.DEFERRED
                        if stop.is_set()
                        else self.sync_submission(summary)
                    ),
                    summaries,
                )
            )

        report.outcomes.update(outcomes)
        report.created = [
            (summary.code, ref.key)
            for summary, outcome in zip(summaries, outcomes, strict=True)
            if outcome is Outcome.CREATED
            and (ref := self._state.link(summary.code)) is not None
        ]
        report.cursor = self._advance_cursor(summaries, outcomes)
        if self._status is not None and not stop.is_set():
            report.jira = self._status.poll_jira(stop)
        report.seconds = time.monotonic() - started
        log.info("sync.cycle_finished", full=full, **report.as_dict())
        return report

    def _advance_cursor(
        self, summaries: list[SubmissionSummary], outcomes: Iterable[Outcome]
    ) -> int | None:
        """Move the cursor up to the first submission that is not final."""
        reached: int | None = None
        for summary, outcome in zip(summaries, outcomes, strict=True):
            if outcome is Outcome.DEFERRED:
                break
            reached = _unix(summary.last_updated_at)
        if reached is not None:
            self._state.advance_cursor(SUBMISSIONS_CURSOR, reached)
        return self._state.cursor(SUBMISSIONS_CURSOR)

    def sync_submission(self, summary: SubmissionSummary) -> Outcome:
        """Bring one submission's Jira issue up to date; never raises SyncdError."""
        code = summary.code
        updated_at = _unix(summary.last_updated_at)
        with structlog.contextvars.bound_contextvars(submission=code):
            standing = self._state.standing(code)
            if standing.unchanged(updated_at):
                return Outcome.UNCHANGED
            if standing.quarantined(updated_at):
                return Outcome.QUARANTINED
            return self._guarded(code, updated_at)

    def sync_code(self, code: str) -> Outcome:
        """Sync one submission now, whatever the cursor says (webhooks)."""
        with structlog.contextvars.bound_contextvars(submission=code):
            return self._guarded(code, updated_at=None)

    def _guarded(self, code: str, updated_at: int | None) -> Outcome:
        """Run one sync under the submission's claim, so that no two workers
        (threads or replicas) write for one submission at once; turn failures
        into outcomes and quarantine records."""
        held = self._state.hold(code, self._claim_ttl)
        if held is None:
            log.info("sync.claim_busy")
            return Outcome.DEFERRED
        written = None
        try:
            outcome, written = self._claimed(held, code, updated_at)
            return outcome
        finally:
            # A sync that went through frees the submission from quarantine.
            self._state.release_claim(
                code,
                held.token,
                release_quarantine=written is not None,
                written=written,
            )

    def _claimed(
        self, held: Held, code: str, updated_at: int | None
    ) -> tuple[Outcome, Written | None]:
        """The outcome, and what the sync wrote if it went through."""
        try:
            outcome, written = self._sync(held, code)
        except TransientError as exc:
            self._count_error(exc)
            log.warning("sync.submission_deferred", error=type(exc).__name__)
            return Outcome.DEFERRED, None
        except PermanentError as exc:
            self._count_error(exc)
            log.error(
                "sync.submission_quarantined",
                error=type(exc).__name__,
                reason=str(exc),
            )
            self._state.quarantine(
                code, updated_at or 0, reason=str(exc), error=type(exc).__name__
            )
            return Outcome.QUARANTINED, None
        except SyncdError as exc:
            self._count_error(exc)
            log.error("sync.submission_failed", error=type(exc).__name__)
            return Outcome.DEFERRED, None

        if outcome is not Outcome.UNCHANGED:
            log.info("sync.submission_synced", outcome=outcome.value)
        return outcome, written

    def _count_error(self, exc: SyncdError) -> None:
        if self._errors is not None:
            self._errors.record_error("engine", type(exc).__name__)

    def sync_issue(self, issue_id: str, actor: str | None = None) -> IssueResult:
        """Carry one Jira issue's change to Intigriti (webhook receivers call
        this with the event's ``user`` account); ignored without status sync."""
        if self._status is None:
            return IssueResult.IGNORED
        return self._status.sync_issue(issue_id, actor)

    def _sync(self, held: Held, code: str) -> tuple[Outcome, Written]:
        """The outcome, and what was written, to be recorded with the claim's
        release."""
        read_at = time.time()  # a message placed after this is not in the draft
        submission = self._source.get_submission(code)
        draft = build_draft(
            submission, self._mapping, self._tracker.flavour, self._tables
        )
        fields = self._tracker.draft_fields(draft)
        digests = {name: digest(value) for name, value in fields.items()}

        link = held.link  # as read when the claim was taken
        fingerprints = held.fingerprints
        created = False
        issue = None  # the issue as read before this sync wrote to it
        if link is not None:
            issue = self._links.follow(code, link)
            if issue is None:  # deleted: its link and fingerprints are gone
                link, fingerprints = None, {}
            else:
                link = issue.ref
        if link is None:
            attempt = self._links.create(
                submission, draft, digests, read_at, held.attempted_at
            )
            if attempt is None:
                return Outcome.DEFERRED, Written(None, {})
            link, created = attempt

        # Status first: a field may only be editable in the new status.
        moved = 0
        if self._status is not None:
            moved = self._status.sync_submission(submission, link, issue)

        # A new issue carries what it was created with, recorded with its link.
        written = digests if created else fingerprints
        jira_owned = self._tracker.create_only_ids(draft)
        changed = {
            name: value
            for name, value in fields.items()
            if name not in jira_owned and written.get(name) != digests[name]
        }
        if changed:
            self._tracker.update_issue(link.id, changed)
        extras = self._write_extras(submission, link, written)
        if self._status is not None:
            moved += self._status.push_messages(code, link, submission.web_url)
        carried = 0
        if self._attachments is not None:
            carried = self._attachments.sync(submission, link, new_issue=created)

        fingerprints = {name: digests[name] for name in changed}
        fingerprints.update(extras)
        record = Written(_settled_version(submission), fingerprints)
        if created:
            return Outcome.CREATED, record
        touched = changed or extras or moved or carried
        return (Outcome.UPDATED if touched else Outcome.UNCHANGED), record

    def _write_extras(
        self, submission: Submission, link: IssueRef, written: dict[str, str]
    ) -> dict[str, str]:
        """The remote link in Jira and the internal reference on Intigriti."""
        done: dict[str, str] = {}
        if submission.web_url:
            remote = digest([submission.web_url, submission.code])
            if written.get(REMOTE_LINK) != remote:
                self._tracker.add_remote_link(
                    link.id,
                    global_id=submission.web_url,
                    url=submission.web_url,
                    title=f"Intigriti {submission.code}",
                )
                done[REMOTE_LINK] = remote

        browse = self._tracker.browse_url(link.key)
        reference = digest([link.key, browse])
        if written.get(INTERNAL_REFERENCE) != reference:
            self._source.set_internal_reference(submission.code, link.key, browse)
            done[INTERNAL_REFERENCE] = reference
        return done
