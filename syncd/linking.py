"""The link between a submission and its Jira issue: follow it, or make it.

An issue is followed by id (a person may move it: the key changes, the id
does not; or delete it). A new issue is made only after looking for one
syncd already made: the issue named by the submission's internal reference,
and, after a create whose answer was lost, the one the label search finds
once Jira's index has settled (``docs/adr/002-never-a-duplicate-issue.md``).
The caller holds the submission's claim throughout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from syncd.errors import IssueDeleted, NotFoundError, OutcomeUnknown, SyncdError
from syncd.intigriti.models import Submission
from syncd.jira.issues import IssueSnapshot
from syncd.jira.models import IssueRef
from syncd.mapping.build import submission_label
from syncd.mapping.draft import IssueDraft
from syncd.settings import OnDeleted
from syncd.state import State

log = structlog.get_logger("syncd.linking")

SUBMISSION_PROPERTY = "syncd.submission"
# How long a create whose answer was lost stays in doubt: longer than Jira's
# search index lags behind writes (seconds, in practice).
UNCERTAIN_CREATE_SETTLE_SECONDS = 60.0


class LinkTracker(Protocol):
    """What linking needs of Jira."""

    def create_issue(
        self, draft: IssueDraft, *, properties: dict[str, Any]
    ) -> IssueRef: ...

    def find_issues_by_label(self, label: str) -> list[IssueRef]: ...

    def get_issue(self, issue_id: str) -> IssueSnapshot: ...

    def get_property(self, issue_id: str, key: str) -> Any | None: ...

    def browse_url(self, key: str) -> str: ...


class IssueLinks:
    """Finds, follows and creates the one Jira issue of each submission."""

    def __init__(
        self,
        state: State,
        tracker: LinkTracker,
        *,
        on_deleted: OnDeleted = "report",
        settle_seconds: float = UNCERTAIN_CREATE_SETTLE_SECONDS,
        on_adopt: Callable[[str, IssueSnapshot], object] | None = None,
    ) -> None:
        self._state = state
        self._tracker = tracker
        self._on_deleted = on_deleted
        self._settle = settle_seconds
        # Runs before an adopted issue is linked: if it fails, the link is
        # not recorded and the next sync adopts (and runs it) again.
        self._on_adopt = on_adopt

    def follow(self, code: str, link: IssueRef) -> IssueSnapshot | None:
        """The linked issue as Jira has it now, read by id.

        A person may have moved it (same id, new key: the stored key and,
        through its digest, the internal reference follow) or deleted it
        (``on_deleted``: quarantine with the reason, or None so that a new
        issue is created).
        """
        # TODO(#7): a deletion is seen only when the submission next changes
        # (or on `dlq retry`); Jira's `jira:issue_deleted` webhook could tell
        # us at once.
        try:
            snapshot = self._tracker.get_issue(link.id)
        except NotFoundError:
            self._deleted(code, link)
            return None
        current = snapshot.ref
        if current.key != link.key:
            log.warning(
                "sync.issue_moved",
                jira_id=link.id,
                jira_key=current.key,
                previous_key=link.key,
            )
            self._state.record_link(code, current)
        return snapshot

    def _deleted(self, code: str, link: IssueRef) -> None:
        log.warning(
            "sync.issue_deleted",
            jira_id=link.id,
            jira_key=link.key,
            on_deleted=self._on_deleted,
        )
        if self._on_deleted == "report":
            raise IssueDeleted(
                f"jira issue {link.key} (id {link.id}) was deleted in Jira; "
                "set SYNCD_SYNC__ON_DELETED=recreate to create a new one"
            )
        self._state.drop_link(code)

    def create(
        self,
        submission: Submission,
        draft: IssueDraft,
        digests: dict[str, str],
        read_at: float,
        attempted_at: int | None,
    ) -> tuple[IssueRef, bool] | None:
        """Create the issue, unless an earlier attempt already did.

        The caller holds the submission's claim and, under it, found no
        link in Redis; ``attempted_at``: when an earlier create whose outcome
        is unknown was sent, as read under the claim. Returns the issue and
        whether this call created it, or None while an earlier create is in
        doubt. The link and ``digests`` (of the fields the issue is created
        with) are recorded together before the claim is released, so the
        next worker sees a full record.
        """
        code = submission.code
        linked = self._recover(submission, doubtful=attempted_at is not None)
        if linked is not None:
            return linked, False
        if self._create_in_doubt(attempted_at):
            return None
        self._state.mark_create_attempt(code)
        try:
            issue = self._tracker.create_issue(
                draft,
                properties={
                    SUBMISSION_PROPERTY: {
                        "code": code,
                        "url": submission.web_url,
                    }
                },
            )
        except OutcomeUnknown:
            raise  # the issue may exist: the marker keeps the doubt
        except SyncdError:
            self._state.clear_create_attempt(code)  # Jira answered: no issue
            raise
        # Messages placed while the issue was being made are carried too.
        self._state.record_link(
            code,
            issue,
            linked_at=read_at,
            fingerprints=digests,
        )
        return issue, True

    def _recover(self, submission: Submission, *, doubtful: bool) -> IssueRef | None:
        """Find an issue made for this submission although Redis has no link.

        Redis may have lost its data, or a create's answer may have been
        lost. The submission's internal reference names the issue syncd made
        for it: read it by key (immediate, unlike JQL) and believe it only if
        its ``syncd.submission`` property names this submission. After an
        uncertain create, the label search finds an issue the reference
        never learned about.
        """
        code = submission.code
        candidates: list[IssueRef] = []
        reference = submission.internal_reference
        if reference is not None and reference.reference and reference.url:
            key = reference.reference
            if reference.url == self._tracker.browse_url(key):
                candidates.append(IssueRef(id=key, key=key))
        if doubtful:
            candidates += self._tracker.find_issues_by_label(submission_label(code))

        for candidate in candidates:
            try:
                snapshot = self._tracker.get_issue(candidate.id)
                marker = self._tracker.get_property(snapshot.id, SUBMISSION_PROPERTY)
            except NotFoundError:
                continue
            if isinstance(marker, dict) and marker.get("code") == code:
                log.warning("sync.issue_recovered", jira_key=snapshot.key)
                if self._on_adopt is not None:
                    self._on_adopt(code, snapshot)
                self._state.record_link(code, snapshot.ref)
                return snapshot.ref
        return None

    def _create_in_doubt(self, attempted: int | None) -> bool:
        """Whether an earlier create may still surface in Jira's search.

        A create whose answer was lost may have succeeded; the label search
        can miss it while Jira's index lags. Creating again only once the
        index has had time to settle rules out a second issue. ``attempted``:
        when the unconfirmed create was sent (unix seconds), if one was.
        """
        if attempted is None:
            return False
        waiting = time.time() - attempted < self._settle
        if waiting:
            log.info("sync.create_in_doubt", settle_seconds=self._settle)
        return waiting
