"""Report attachments into the Jira issue: each one once, keyed by its code.

The engine calls ``AttachmentSync.sync(submission, issue)`` after it created or
updated the issue. Per attachment not yet recorded: claim it, download it
(``syncd.intigriti.files``: no bearer token, allow-listed hosts, public
addresses only, streamed to a temporary file), upload it, record the Jira
attachment id. A link the file host refuses (403/404: expired) is renewed by
fetching the submission again, once per call. A file over the limit (the
configured cap, or Jira's own when lower, or a 413) is not copied: a comment
says so and points at the submission on Intigriti, since the signed link
itself dies within the hour and would hand the file to every Jira reader
meanwhile.

A refused link (host or address not allowed) is logged and left unrecorded,
so a later version of the submission tries it again after the settings
change. Transient failures propagate; the engine defers the submission.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from enum import StrEnum
from typing import Any, BinaryIO, Protocol

import structlog

from syncd.attachment_records import COMMENT_PREFIX, AttachmentRecords, Claim
from syncd.errors import RejectedError
from syncd.intigriti.files import Download, FileRefused, FileTooLarge, LinkExpired
from syncd.intigriti.models import Attachment, Submission
from syncd.jira.models import Flavour, IssueRef
from syncd.mapping.render import to_adf, to_wiki
from syncd.mapping.render.plain import parse_plain

log = structlog.get_logger("syncd.attachments")

FILENAME_PREFIX = "intigriti-"
TOO_LARGE = 413


class Carried(StrEnum):
    """What became of one attachment in one call."""

    UPLOADED = "uploaded"
    LINKED = "linked"
    """Over the limit: a comment in Jira says where to find it."""
    SKIPPED = "skipped"
    """Refused, gone, or claimed by another worker; tried again later."""


class SubmissionReader(Protocol):
    def get_submission(self, code: str) -> Submission: ...


class FileSource(Protocol):
    def download(self, url: str, limit: int) -> AbstractContextManager[Download]: ...


class AttachmentTracker(Protocol):
    flavour: Flavour

    def attachment_limit(self) -> int | None: ...

    def add_attachment(
        self, issue_id: str, filename: str, stream: BinaryIO, size: int
    ) -> str: ...

    def attachments(self, issue_id: str) -> list[tuple[str, str]]: ...

    def add_comment(self, issue_id: str, body: str | dict[str, Any]) -> str: ...


def jira_filename(attachment: int, name: str | None) -> str:
    """The name in Jira: its code first, so a lost upload can be found."""
    return f"{FILENAME_PREFIX}{attachment}-{name or 'attachment'}"


def oversized_comment(
    submission: Submission, attachment: int, limit: int, flavour: Flavour
) -> Any:
    """Plain text from syncd's own words and ids only, rendered inert."""
    where = submission.web_url or f"Intigriti submission {submission.code}"
    text = (
        f"Attachment {attachment} of Intigriti submission {submission.code} "
        f"is larger than {limit} bytes, the most syncd copies into Jira.\n"
        f"It is on the submission: {where}"
    )
    blocks = parse_plain(text)
    return to_adf(blocks) if flavour is Flavour.CLOUD else to_wiki(blocks)


class AttachmentSync:
    """Copies a submission's attachments to its issue; safe across workers."""

    def __init__(
        self,
        *,
        source: SubmissionReader,
        tracker: AttachmentTracker,
        files: FileSource,
        records: AttachmentRecords,
        max_bytes: int,
        claim_ttl_seconds: int = 600,
    ) -> None:
        self._source = source
        self._tracker = tracker
        self._files = files
        self._records = records
        self._max_bytes = max_bytes
        self._claim_ttl = claim_ttl_seconds

    def sync(
        self, submission: Submission, issue: IssueRef, *, new_issue: bool = False
    ) -> int:
        """Copy what is not copied yet; the number uploaded or linked.

        ``new_issue``: the issue was created in this sync, so it carries
        no file yet and the read of its attachments is spared.
        """
        code = submission.code
        left = set(
            self._records.not_copied(
                code, [item.code for item in submission.attachments]
            )
        )
        pending = [item for item in submission.attachments if item.code in left]
        if pending and not new_issue:
            pending = self._adopt_uploaded(code, issue, pending)
        if not pending:
            return 0

        limit = self._limit()
        links = _Links(self._source, submission)
        results = [
            self._carry(submission, issue, item.code, limit, links) for item in pending
        ]
        done = sum(1 for result in results if result is not Carried.SKIPPED)
        log.info(
            "attachments.synced",
            jira_id=issue.id,
            uploaded=results.count(Carried.UPLOADED),
            linked=results.count(Carried.LINKED),
            skipped=results.count(Carried.SKIPPED),
        )
        return done

    def _limit(self) -> int:
        site = self._tracker.attachment_limit()
        return self._max_bytes if site is None else min(self._max_bytes, site)

    def _carry(
        self,
        submission: Submission,
        issue: IssueRef,
        attachment: int,
        limit: int,
        links: _Links,
    ) -> Carried:
        code = submission.code
        claim = self._records.claim(code, attachment, self._claim_ttl)
        if claim is None:
            return Carried.SKIPPED
        try:
            if claim.was_sending and self._recover(code, issue, attachment, claim):
                return Carried.UPLOADED
            return self._fetch_and_copy(
                submission, issue, attachment, limit, links, claim
            )
        except LinkExpired:
            log.warning("attachment.unavailable", attachment=attachment)
            return Carried.SKIPPED
        except FileRefused as exc:
            log.warning(
                "attachment.refused",
                attachment=attachment,
                reason=exc.reason,
                host=exc.host,
            )
            return Carried.SKIPPED
        finally:
            self._records.release(code, attachment, claim)  # unless recording did

    def _fetch_and_copy(
        self,
        submission: Submission,
        issue: IssueRef,
        attachment: int,
        limit: int,
        links: _Links,
        claim: Claim,
    ) -> Carried:
        """Copy from the link in hand; on 403/404 renew the links once."""
        url = links.current(attachment)
        if url is not None:
            try:
                return self._copy(submission, issue, attachment, url, limit, claim)
            except LinkExpired:
                if links.renewed:
                    raise
        if not links.renewed:
            links.renew()
        url = links.current(attachment)
        if url is None:
            log.warning("attachment.gone", attachment=attachment)
            return Carried.SKIPPED
        return self._copy(submission, issue, attachment, url, limit, claim)

    def _copy(
        self,
        submission: Submission,
        issue: IssueRef,
        attachment: int,
        url: str,
        limit: int,
        claim: Claim,
    ) -> Carried:
        code = submission.code
        try:
            with self._files.download(url, limit) as download:
                self._records.mark_sending(code, attachment)
                attachment_id = self._tracker.add_attachment(
                    issue.id,
                    jira_filename(attachment, download.filename),
                    download.file,
                    download.size,
                )
        except FileTooLarge:
            return self._link(submission, issue, attachment, limit, claim)
        except RejectedError as exc:
            if exc.status_code != TOO_LARGE:
                raise
            return self._link(submission, issue, attachment, limit, claim)

        self._records.record(code, attachment, attachment_id, claim)
        log.info("attachment.uploaded", attachment=attachment, jira_id=issue.id)
        return Carried.UPLOADED

    def _link(
        self,
        submission: Submission,
        issue: IssueRef,
        attachment: int,
        limit: int,
        claim: Claim,
    ) -> Carried:
        body = oversized_comment(submission, attachment, limit, self._tracker.flavour)
        comment_id = self._tracker.add_comment(issue.id, body)
        self._records.record(
            submission.code, attachment, f"{COMMENT_PREFIX}{comment_id}", claim
        )
        log.info("attachment.linked", attachment=attachment, jira_id=issue.id)
        return Carried.LINKED

    def _adopt_uploaded(
        self, code: str, issue: IssueRef, pending: list[Attachment]
    ) -> list[Attachment]:
        """Record files the issue already carries (Redis lost its records).

        One read of the issue's attachments before any upload: the names
        syncd gives files (``intigriti-<code>-...``) say which they are.
        """
        existing = self._tracker.attachments(issue.id)
        left = []
        for item in pending:
            if not self._adopt(code, item.code, existing):
                left.append(item)
        return left

    def _recover(
        self, code: str, issue: IssueRef, attachment: int, claim: Claim
    ) -> bool:
        """After an upload whose answer was lost: is the file there already?"""
        existing = self._tracker.attachments(issue.id)
        return self._adopt(code, attachment, existing, claim)

    def _adopt(
        self,
        code: str,
        attachment: int,
        existing: list[tuple[str, str]],
        claim: Claim | None = None,
    ) -> bool:
        prefix = f"{FILENAME_PREFIX}{attachment}-"
        for attachment_id, filename in existing:
            if filename.startswith(prefix):
                self._records.record(code, attachment, attachment_id, claim)
                log.warning("attachment.recovered", attachment=attachment)
                return True
        return False


class _Links:
    """Attachment links of one call; the submission is fetched again at most once."""

    def __init__(self, source: SubmissionReader, submission: Submission) -> None:
        self._source = source
        self._code = submission.code
        self._links = {item.code: item.url for item in submission.attachments}
        self.renewed = False

    def current(self, attachment: int) -> str | None:
        return self._links.get(attachment)

    def renew(self) -> None:
        log.info("attachment.links_renewed")
        fresh = self._source.get_submission(self._code)
        self._links = {item.code: item.url for item in fresh.attachments}
        self.renewed = True
