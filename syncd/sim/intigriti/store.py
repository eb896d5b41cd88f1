"""The in-memory tenant: programs, submissions and the writes on them.

One `IntigritiStore` holds one company's data, its token book, request log
and fault settings, all guarded by one re-entrant lock. Reads hand out deep
copies so callers never see a half-made change. State moves follow
`machine` (see its docstring for the transition table); every change appends
an event, bumps `last_updated_at` (unix seconds) and, when webhooks are on,
queues a delivery.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import machine, seed
from .auth import TokenBook
from .config import IntigritiSimConfig
from .cvss import InvalidVectorError, base_score, severity_key
from .errors import BadRequestError, ConflictError, NotFoundError
from .faults import FaultInjector, FaultSettings
from .model import (
    Corpus,
    Event,
    InternalReference,
    Payout,
    Person,
    Program,
    SeveritySnapshot,
    StateSnapshot,
    Submission,
)
from .traffic import RequestLog
from .webhook_payloads import created_fields, event_fields
from .webhooks import WebhookSender


class IntigritiStore:
    """One simulated Intigriti company; safe to use from any thread."""

    def __init__(
        self, config: IntigritiSimConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.tokens = TokenBook(config, self.lock, clock)
        self.faults = FaultInjector(self.lock, config.seed)
        self.log = RequestLog(self.lock)
        self.webhooks: WebhookSender | None = None
        if config.webhook_url is not None:
            self.webhooks = WebhookSender(
                config.webhook_url,
                config.webhook_secret.get_secret_value(),
                config.webhook_timeout_seconds,
            )
        self._created = 0
        self._load(seed.generate(config))

    # -- corpus ----------------------------------------------------------

    def _load(self, corpus: Corpus) -> None:
        with self.lock:
            self._corpus = corpus
            self._programs = {program.id: program for program in corpus.programs}
            self._submissions = {sub.code: sub for sub in corpus.submissions}
            self._attachments = {
                attachment.code: sub.code
                for sub in corpus.submissions
                for attachment in sub.report.attachments
            }

    def load_json(self, path: str | Path) -> None:
        """Replace the whole corpus with one read from a `Corpus` JSON file."""
        text = Path(path).read_text(encoding="utf-8")
        self._load(Corpus.model_validate_json(text))

    def dump_json(self, path: str | Path) -> None:
        with self.lock:
            text = self._corpus.model_dump_json(indent=2)
        Path(path).write_text(text, encoding="utf-8")

    def corpus(self) -> Corpus:
        with self.lock:
            return self._corpus.model_copy(deep=True)

    # -- reads -----------------------------------------------------------

    def programs(self) -> list[Program]:
        with self.lock:
            return [p.model_copy(deep=True) for p in self._programs.values()]

    def program(self, program_id: str) -> Program:
        with self.lock:
            program = self._programs.get(program_id)
            if program is None:
                raise NotFoundError(f"program {program_id} does not exist")
            return program.model_copy(deep=True)

    def submissions(
        self, updated_since: int | None = None, program_id: str | None = None
    ) -> list[Submission]:
        """Submissions the company may see, oldest first."""
        with self.lock:
            return [
                sub.model_copy(deep=True)
                for sub in self._submissions.values()
                if sub.status not in machine.HIDDEN_STATUSES
                and (updated_since is None or sub.last_updated_at >= updated_since)
                and (program_id is None or sub.program_id == program_id)
            ]

    def submission(self, code: str, include_hidden: bool = False) -> Submission:
        with self.lock:
            return self._find(code, include_hidden).model_copy(deep=True)

    def events(self, code: str, created_since: int | None = None) -> list[Event]:
        with self.lock:
            return [
                event.model_copy(deep=True)
                for event in self._find(code).events
                if created_since is None or event.created_at >= created_since
            ]

    def attachment_owner(self, attachment_code: int) -> str | None:
        with self.lock:
            return self._attachments.get(attachment_code)

    def _find(self, code: str, include_hidden: bool = False) -> Submission:
        sub = self._submissions.get(code)
        if sub is None or (
            sub.status in machine.HIDDEN_STATUSES and not include_hidden
        ):
            raise NotFoundError(f"submission {code} does not exist")
        return sub

    def _writable(self, code: str, include_hidden: bool = False) -> Submission:
        sub = self._find(code, include_hidden)
        if sub.status in machine.LOCKED_STATUSES:
            raise ConflictError(f"submission {code} is {sub.status} and locked")
        return sub

    def api_user(self) -> Person:
        """The company user the API acts as."""
        with self.lock:
            if self._corpus.company_users:
                return self._corpus.company_users[0]
        return seed.fallback_company_user(self.config)

    def triager(self) -> Person:
        with self.lock:
            users = self._corpus.company_users
            return users[1] if len(users) > 1 else self.api_user()

    # -- company writes (ids as the API sends them) ------------------------

    def change_state(
        self,
        code: str,
        status_trigger: int,
        close_reason: int | None = None,
        duplicate_submission: str | None = None,
        actor: Person | None = None,
    ) -> list[int]:
        """`PUT /state`: returns the trigger ids possible afterwards."""
        enums = self.config.enums
        trigger = enums.key_of("status_trigger", status_trigger)
        if trigger is None:
            raise BadRequestError(f"unknown statusTrigger {status_trigger}")
        reason = None
        if close_reason is not None:
            reason = enums.key_of("close_reason", close_reason)
            if reason is None:
                raise BadRequestError(f"unknown closeReason {close_reason}")
        status = self.apply_trigger(
            code, trigger, reason, duplicate_submission, actor or self.api_user()
        )
        return [
            enums.entry("status_trigger", key).id
            for key in machine.company_triggers_from(status)
        ]

    def apply_trigger(
        self,
        code: str,
        trigger: str,
        close_reason: str | None = None,
        duplicate_submission: str | None = None,
        actor: Person | None = None,
    ) -> str:
        """Move a submission by trigger key; returns the new status key."""
        actor = actor or self.triager()
        with self.lock:
            sub = self._writable(code, include_hidden=trigger == "submit")
            move = machine.plan(trigger, sub.status)
            if move is None:
                raise ConflictError(f"cannot {trigger} a submission in {sub.status}")
            parent = machine.check_close(
                sub, move, close_reason, duplicate_submission, self._submissions
            )
            before = StateSnapshot(status=sub.status, close_reason=sub.close_reason)
            machine.enter(
                sub, move, close_reason, parent, self._now(), self._submissions
            )
            after = StateSnapshot(status=sub.status, close_reason=sub.close_reason)
            self._record(
                sub,
                Event(
                    kind="status_changed",
                    created_at=self._now(),
                    visibility="everyone",
                    user=actor,
                    from_state=before,
                    to_state=after,
                    duplicate_of=sub.duplicate_parent,
                ),
            )
            return sub.status

    def set_severity(
        self,
        code: str,
        severity_id: int | None = None,
        vector: str | None = None,
        actor: Person | None = None,
    ) -> None:
        """`PUT /severity`: by id, by CVSS 3.1 vector, or both (id wins)."""
        key = None
        if severity_id is not None:
            key = self.config.enums.key_of("severity", severity_id)
            if key is None:
                raise BadRequestError(f"unknown severity id {severity_id}")
        self.update_severity(code, key, vector, actor or self.api_user())

    def update_severity(
        self,
        code: str,
        key: str | None,
        vector: str | None,
        actor: Person | None = None,
    ) -> None:
        if key is None and vector is None:
            raise BadRequestError("give a severity id or a vector")
        score = None
        if vector is not None:
            try:
                score = base_score(vector)
            except InvalidVectorError as error:
                raise BadRequestError(str(error), {"vector": ["invalid"]}) from error
        new = SeveritySnapshot(
            key=key or severity_key(score or 0.0), vector=vector, score=score
        )
        with self.lock:
            sub = self._writable(code)
            if new == sub.severity:
                return
            old, sub.severity = sub.severity, new
            self._record(
                sub,
                Event(
                    kind="severity_changed",
                    created_at=self._now(),
                    visibility="everyone",
                    user=actor or self.triager(),
                    from_severity=old,
                    to_severity=new,
                ),
            )

    def place_message(
        self, code: str, message: str, internal: bool, actor: Person | None = None
    ) -> str:
        """Add a comment; returns its message id."""
        if not message.strip():
            raise BadRequestError("message is empty", {"message": ["required"]})
        message_id = str(uuid.uuid4())
        with self.lock:
            sub = self._writable(code)
            self._record(
                sub,
                Event(
                    kind="message_placed",
                    created_at=self._now(),
                    visibility="internal" if internal else "everyone",
                    user=actor or self.api_user(),
                    message=message,
                    message_id=message_id,
                ),
            )
        return message_id

    def set_internal_reference(
        self, code: str, reference: str | None, url: str | None
    ) -> None:
        """Allowed even on archived submissions: it is the company's own
        bookkeeping, not a change to the report."""
        with self.lock:
            sub = self._find(code)
            ref = InternalReference(reference=reference, url=url)
            if sub.internal_reference == ref:
                return
            sub.internal_reference = ref
            self._record(
                sub,
                Event(
                    kind="internal_reference_changed",
                    created_at=self._now(),
                    visibility="internal",
                    user=self.api_user(),
                    reference=ref,
                ),
            )

    def add_tag(self, code: str, tag: str, actor: Person | None = None) -> None:
        if not tag.strip():
            raise BadRequestError("tag is empty", {"tag": ["required"]})
        with self.lock:
            sub = self._writable(code)
            if tag in sub.tags:
                return
            sub.tags.append(tag)
            self._tag_event(sub, "tag_added", tag, actor)

    def remove_tag(self, code: str, tag: str, actor: Person | None = None) -> None:
        with self.lock:
            sub = self._writable(code)
            if tag not in sub.tags:
                raise NotFoundError(f"submission {code} has no tag {tag!r}")
            sub.tags.remove(tag)
            self._tag_event(sub, "tag_removed", tag, actor)

    def _tag_event(
        self, sub: Submission, kind: str, tag: str, actor: Person | None
    ) -> None:
        event = Event(
            kind=kind,
            created_at=self._now(),
            visibility="internal",
            user=actor or self.api_user(),
            tag=tag,
        )
        self._record(sub, event)

    # -- researcher and triager writes (control API) -----------------------

    def create_submission(self, fields: dict[str, Any] | None = None) -> str:
        """Submit a report as a researcher would; returns its code."""
        with self.lock:
            self._created += 1
            sub = seed.new_submission(
                self.config, self._corpus, self._created, fields or {}, self._now()
            )
            self._corpus.submissions.append(sub)
            self._submissions[sub.code] = sub
            for attachment in sub.report.attachments:
                self._attachments[attachment.code] = sub.code
            if sub.status not in machine.HIDDEN_STATUSES:
                self._notify(sub, "SubmissionCreated", sub.submitter, {})
            return sub.code

    def update_submission(self, code: str, changes: dict[str, Any]) -> None:
        """Edit title, severity, tags or report fields, with their events."""
        with self.lock:
            sub = self._writable(code, include_hidden=True)
            triager = self.triager()
            if "title" in changes and changes["title"] != sub.title:
                event = Event(
                    kind="title_changed",
                    created_at=self._now(),
                    visibility="everyone",
                    user=triager,
                    from_text=sub.title,
                    to_text=changes["title"],
                )
                sub.title = str(changes["title"])
                self._record(sub, event)
            if "severity" in changes or "vector" in changes:
                self.update_severity(
                    code, changes.get("severity"), changes.get("vector"), triager
                )
            if "tags" in changes:
                self._replace_tags(sub, list(changes["tags"]), triager)
            self._edit_report(sub, changes, triager)

    def _replace_tags(self, sub: Submission, tags: list[str], actor: Person) -> None:
        for tag in [t for t in sub.tags if t not in tags]:
            self.remove_tag(sub.code, tag, actor)
        for tag in [t for t in tags if t not in sub.tags]:
            self.add_tag(sub.code, tag, actor)

    def _edit_report(
        self, sub: Submission, changes: dict[str, Any], actor: Person
    ) -> None:
        report = sub.report.model_dump()
        edits = {k: v for k, v in changes.items() if k in seed.REPORT_FIELDS}
        if not edits or all(report[k] == v for k, v in edits.items()):
            return
        sub.report = sub.report.model_validate({**report, **edits})
        event = Event(
            kind="report_changed",
            created_at=self._now(),
            visibility="everyone",
            user=actor,
        )
        self._record(sub, event)

    def add_payout(self, code: str, amount: float, payout_type: str = "bounty") -> str:
        """Record a bounty or bonus as paid; returns the payout id."""
        with self.lock:
            sub = self._find(code)
            payout = Payout(
                id=f"PO-{uuid.uuid4().hex[:12].upper()}",
                amount=amount,
                type=payout_type,
                created_at=self._now(),
            )
            sub.payouts.append(payout)
            event = Event(
                kind="payout_added",
                created_at=payout.created_at,
                visibility="everyone",
                user=self.api_user(),
                payout=payout,
            )
            self._record(sub, event)
            return payout.id

    # -- tokens, log and faults, for tests --------------------------------

    def revoke_tokens(
        self, token: str | None = None, include_static: bool = False
    ) -> int:
        return self.tokens.revoke(token, include_static)

    def requests(self) -> list[dict[str, Any]]:
        return self.log.entries()

    def clear_requests(self) -> None:
        self.log.clear()

    def counters(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {
                "requests": self.log.by_route(),
                "tokens_issued": dict(self.tokens.issued),
            }

    def set_faults(self, settings: FaultSettings) -> None:
        self.faults.set(settings)

    def clear_faults(self) -> None:
        self.faults.clear()

    def close(self) -> None:
        if self.webhooks is not None:
            self.webhooks.close()

    # -- bookkeeping -------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _record(self, sub: Submission, event: Event) -> None:
        sub.events.append(event)
        sub.last_updated_at = event.created_at
        sub.last_updater = event.user
        hook = event_fields(self.config, event)
        if hook is not None:
            self._notify(sub, hook[0], event.user, hook[1])

    def _notify(
        self, sub: Submission, name: str, actor: Person, fields: dict[str, Any]
    ) -> None:
        if self.webhooks is None:
            return
        program = self._programs.get(sub.program_id)
        payload = {
            "programId": sub.program_id,
            "programName": program.name if program else None,
            "submissionCode": sub.code,
            "userId": actor.user_id,
            "createdAt": self._now(),
            **fields,
        }
        if name == "SubmissionCreated":
            payload.update(created_fields(self.config, sub, program))
        self.webhooks.send(name, payload)
