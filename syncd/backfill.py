"""`syncd backfill`: import the history of submissions into Jira.

The submission list is streamed and filtered item by item; a bounded pool
syncs each submission through ``Engine.sync_submission`` (claims, links and
digests make a re-run harmless), and a progress record in Redis, one per
filter set, lets a resumed run skip what is done without reading details::

    P:backfill:<filters>   hash   submission code -> lastUpdatedAt handled

Closed and archived submissions are imported like the others (the engine's
status sync, when the mapping has one, moves the new issue to its final
status) unless ``backfill.skip_closed`` or ``--skip-closed`` leaves them out.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import redis
import structlog

from syncd.engine import Engine, Outcome
from syncd.errors import ConfigError, SyncdError
from syncd.intigriti.client import IntigritiClient
from syncd.intigriti.enums import EnumTables, SubmissionStatus
from syncd.intigriti.models import SubmissionSummary
from syncd.intigriti.parse import parse_summary
from syncd.intigriti.readers import (
    Context,
    read_object,
    read_status,
    required_timestamp,
)
from syncd.jira.client import JiraClient
from syncd.mapping.build import build_draft
from syncd.mapping.models import Mapping as SyncMapping
from syncd.settings import IntigritiApiVersion, Settings
from syncd.state import State, digest

log = structlog.get_logger("syncd.backfill")

CLOSED = frozenset({SubmissionStatus.CLOSED, SubmissionStatus.ARCHIVED})
DEFERRED_RETRIES = (1.0, 2.0, 4.0)
"""Seconds before each new try of a deferred submission (a claim, a 5xx)."""
EXAMPLES = 5


class Result(StrEnum):
    """Where one submission lands in the report."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Filters:
    """Which submissions a backfill covers; ``since``/``until`` are on createdAt."""

    programs: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    statuses: frozenset[SubmissionStatus] = frozenset()
    skip_closed: bool = False

    def key(self) -> str:
        """Names the progress record: the same filters resume the same run."""
        canonical = {
            "programs": sorted(self.programs),
            "since": None if self.since is None else int(self.since.timestamp()),
            "until": None if self.until is None else int(self.until.timestamp()),
            "statuses": sorted(self.statuses),
            "skip_closed": self.skip_closed,
        }
        return digest(canonical)[:16]

    def covers(self, listed: Listed) -> bool:
        if self.since is not None and listed.created_at < self.since:
            return False
        if self.until is not None and listed.created_at >= self.until:
            return False
        return not self.statuses or listed.status in self.statuses


@dataclass(frozen=True)
class Listed:
    """One list item: the summary, and what the filters look at."""

    summary: SubmissionSummary
    status: SubmissionStatus | None
    created_at: datetime


LOOKUP_BATCH = 100  # listed submissions looked up in Redis at a time


def _batches(
    items: Iterable[Listed], size: int, stop: threading.Event
) -> Iterator[list[Listed]]:
    """``items`` in lists of ``size``; none read once ``stop`` is set."""
    batch: list[Listed] = []
    for item in items:
        if stop.is_set():
            return
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def parse_listed(item: Any, version: IntigritiApiVersion, tables: EnumTables) -> Listed:
    """Summary, status and creation time of one list item."""
    summary = parse_summary(item, version, tables)
    ctx = Context(version, submission=summary.code)
    state = read_object(item, "state", ctx)
    status = None if state is None else read_status(state, ctx.inside("state"), tables)
    return Listed(
        summary=summary,
        status=None if status is None else tables.status.get(status.id),
        created_at=required_timestamp(item, "createdAt", ctx),
    )


class Progress:
    """What a backfill with these filters has finished, in Redis.

    Finished submissions are written in batches of ``RECORD_BATCH`` (and
    when the run ends), and looked up a listed batch at a time, to spare
    the workers a round trip each. What cannot be written (Redis away) is
    kept and tried again with the next batch. A run killed outright forgets
    what it had not written yet: the next run syncs those again, which
    writes nothing new.
    """

    RECORD_BATCH = 64

    def __init__(
        self, client: redis.Redis, prefix: str, filters: Filters, ttl_days: int
    ) -> None:
        self._redis = client
        self._key = f"{prefix}:backfill:{filters.key()}"
        self._ttl = ttl_days * 86400
        self._pending: dict[str, str] = {}  # recorded, not yet written
        self._writing: set[str] = set()
        self._lock = threading.Lock()

    def finished(self, codes: list[str]) -> set[str]:
        """The ``codes`` finished by an earlier run or this one, at whatever
        version (syncd's own write of the internal reference moves
        ``lastUpdatedAt``; later changes are the daemon's to carry)."""
        if not codes:
            return set()
        with self._lock:  # before reading Redis: a write may land meanwhile
            here = self._pending.keys() | self._writing
        try:
            found: list[str | None] = self._redis.hmget(self._key, codes)  # type: ignore[assignment]
        except redis.RedisError as exc:
            log.warning("backfill.progress_unread", error=type(exc).__name__)
            found = [None] * len(codes)
        return {
            code
            for code, value in zip(codes, found, strict=True)
            if value is not None or code in here
        }

    def record(self, summary: SubmissionSummary) -> None:
        with self._lock:
            self._pending[summary.code] = str(_unix(summary.last_updated_at))
            if len(self._pending) < self.RECORD_BATCH:
                return
        self.flush()

    def flush(self) -> None:
        """Write what is recorded but not yet written; never raises."""
        with self._lock:
            batch, self._pending = self._pending, {}
            self._writing |= batch.keys()
        if not batch:
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hset(self._key, mapping={code: at for code, at in batch.items()})
            pipe.expire(self._key, self._ttl)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning(
                "backfill.progress_not_saved",
                count=len(batch),
                error=type(exc).__name__,
            )
            with self._lock:
                self._pending = batch | self._pending
        finally:
            with self._lock:
                self._writing -= batch.keys()


@dataclass
class BackfillReport:
    """Counts by result, failure reasons, and how long it took."""

    results: Counter[Result] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    resumed: int = 0
    """Submissions an earlier run with the same filters had finished."""
    dry_run: bool = False
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_resumed(self, code: str) -> None:
        """One an earlier run with the same filters had finished."""
        with self._lock:
            self.resumed += 1
        self.add(Result.UNCHANGED, code)

    def add(self, result: Result, code: str, reason: str | None = None) -> None:
        with self._lock:
            self.results[result] += 1
            if reason is not None:
                self.reasons[reason] += 1
                shown = self.examples.setdefault(reason, [])
                if len(shown) < EXAMPLES:
                    shown.append(code)

    def total(self) -> int:
        return sum(self.results.values())

    def failed(self) -> int:
        return self.results[Result.FAILED]

    def as_dict(self) -> dict[str, Any]:
        return {
            **{result.value: self.results[result] for result in Result},
            "resumed": self.resumed,
            "dry_run": self.dry_run,
            "failures": [
                {"reason": reason, "count": n, "examples": self.examples[reason]}
                for reason, n in self.reasons.most_common()
            ],
            "seconds": round(self.seconds, 3),
        }


class Display(Protocol):
    """The progress bar on a terminal, log lines otherwise."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...

    def stop(self) -> None: ...


class Backfill:
    """One backfill run over the submissions the filters cover."""

    def __init__(
        self,
        *,
        engine: Engine,
        intigriti: IntigritiClient,
        jira: JiraClient,
        state: State,
        mapping: SyncMapping,
        tables: EnumTables,
        api_version: IntigritiApiVersion,
        progress: Progress,
        filters: Filters,
        concurrency: int,
        dry_run: bool = False,
        echo: Callable[[str], None] = lambda line: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._engine = engine
        self._intigriti = intigriti
        self._jira = jira
        self._state = state
        self._mapping = mapping
        self._tables = tables
        self._version = api_version
        self._progress = progress
        self._filters = filters
        self._concurrency = concurrency
        self._dry_run = dry_run
        self._echo = echo
        self._sleep = sleep

    def run(self, display: Display, stop: threading.Event) -> BackfillReport:
        """Sync every covered submission; Ctrl-C (``stop``) ends it cleanly."""
        started = time.monotonic()
        program_ids = self._program_ids()
        report = BackfillReport(dry_run=self._dry_run)
        display.start(sum(1 for _ in self._listed(program_ids)))

        slots = threading.BoundedSemaphore(self._concurrency * 2)
        try:
            with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
                for batch in _batches(self._listed(program_ids), LOOKUP_BATCH, stop):
                    finished = self._progress.finished(
                        [listed.summary.code for listed in batch]
                    )
                    for listed in batch:
                        if stop.is_set():
                            break
                        if listed.summary.code in finished:
                            report.add_resumed(listed.summary.code)
                            display.advance()
                            continue
                        slots.acquire()
                        future = pool.submit(self._handle, listed, report)
                        future.add_done_callback(
                            lambda done: self._done(done, slots, display)
                        )
                    if stop.is_set():
                        break
        finally:
            if not self._dry_run:
                self._progress.flush()
        display.stop()
        report.seconds = time.monotonic() - started
        log.info("backfill.finished", **_flat(report.as_dict()))
        return report

    def _done(
        self, future: Future[None], slots: threading.BoundedSemaphore, display: Display
    ) -> None:
        slots.release()
        display.advance()

    def _program_ids(self) -> list[str | None]:
        if not self._filters.programs:
            return [None]
        programs = self._intigriti.list_programs()
        by_name = {p.id: p.id for p in programs} | {p.handle: p.id for p in programs}
        unknown = [name for name in self._filters.programs if name not in by_name]
        if unknown:
            raise ConfigError(f"unknown program(s): {', '.join(unknown)}")
        return list(dict.fromkeys(by_name[name] for name in self._filters.programs))

    def _listed(self, program_ids: Iterable[str | None]) -> Iterator[Listed]:
        for program_id in program_ids:
            for item in self._intigriti.iter_submission_items(program_id):
                listed = parse_listed(item, self._version, self._tables)
                if self._filters.covers(listed):
                    yield listed

    def _handle(self, listed: Listed, report: BackfillReport) -> None:
        try:
            self._handle_one(listed, report)
        except Exception as exc:
            log.exception("backfill.submission_failed", submission=listed.summary.code)
            report.add(Result.FAILED, listed.summary.code, type(exc).__name__)

    def _handle_one(self, listed: Listed, report: BackfillReport) -> None:
        summary = listed.summary
        code = summary.code
        with structlog.contextvars.bound_contextvars(submission=code):
            if self._filters.skip_closed and listed.status in CLOSED:
                if not self._dry_run:
                    self._progress.record(summary)
                report.add(Result.SKIPPED, code)
                return
            if self._dry_run:
                result, reason = self._plan(summary)
            else:
                result, reason = self._sync(summary)
            report.add(result, code, reason)

    def _sync(self, summary: SubmissionSummary) -> tuple[Result, str | None]:
        outcome = self._engine.sync_submission(summary)
        for delay in DEFERRED_RETRIES:
            if outcome is not Outcome.DEFERRED:
                break
            self._sleep(delay)
            outcome = self._engine.sync_submission(summary)

        if outcome is Outcome.DEFERRED:
            return (
                Result.FAILED,
                "deferred: a transient error, or a claim held by another worker "
                "(one left by a killed run expires after "
                "SYNCD_SYNC__CLAIM_TTL_SECONDS); run the same command again",
            )
        if outcome is Outcome.QUARANTINED:
            return Result.FAILED, self._quarantine_reason(summary.code)
        self._progress.record(summary)
        return Result(outcome.value), None

    def _plan(self, summary: SubmissionSummary) -> tuple[Result, str | None]:
        """What a real run would write, printed by field names; reads only."""
        code = summary.code
        updated_at = _unix(summary.last_updated_at)
        standing = self._state.standing(code)
        link = standing.link
        if standing.unchanged(updated_at):
            return Result.UNCHANGED, None
        if standing.quarantined(updated_at):
            return Result.FAILED, "quarantined"
        try:
            submission = self._intigriti.get_submission(code)
            draft = build_draft(
                submission, self._mapping, self._jira.flavour, self._tables
            )
            fields = self._jira.draft_fields(draft)
        except SyncdError as exc:
            return Result.FAILED, f"{type(exc).__name__}: {exc}"

        if link is None:
            names = ",".join(sorted(fields))
            self._echo(
                f"would create {code}: {draft.project}/{draft.issue_type} "
                f"fields={names}"
            )
            return Result.CREATED, None
        written = self._state.fingerprints(code)
        changed = sorted(n for n, v in fields.items() if written.get(n) != digest(v))
        if not changed:
            return Result.UNCHANGED, None
        self._echo(f"would update {code} ({link.key}): fields={','.join(changed)}")
        return Result.UPDATED, None

    def _quarantine_reason(self, code: str) -> str:
        found = (r for r in self._state.quarantined() if r.code == code)
        record = next(found, None)
        return f"quarantined: {record.reason if record else 'unknown'}"


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _flat(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not isinstance(v, list)}


def render_text(report: BackfillReport) -> str:
    """The report for people; ``--json`` prints ``as_dict`` instead."""
    data = report.as_dict()
    lines = [
        f"{name:>10}: {data[name]}"
        for name in (*(r.value for r in Result), "resumed", "seconds")
    ]
    for failure in data["failures"]:
        examples = ", ".join(failure["examples"])
        lines.append(f"  failed {failure['count']}: {failure['reason']} ({examples})")
    if report.dry_run:
        lines.append("dry run: nothing was written")
    return "\n".join(lines)


def report_json(report: BackfillReport) -> str:
    return json.dumps(report.as_dict())


def run_backfill(
    settings: Settings,
    filters: Filters,
    *,
    dry_run: bool,
    concurrency: int | None,
    stop: threading.Event,
    echo: Callable[[str], None],
) -> BackfillReport:
    """`syncd backfill`: open the runtime, run, close; the report."""
    from syncd.cpu import pin_to_one_cpu
    from syncd.progress import progress_display
    from syncd.runtime import open_runtime

    if settings.backfill.one_cpu:
        pin_to_one_cpu()  # before the runtime and the workers start threads
    with open_runtime(settings) as runtime:
        progress = Progress(
            runtime.redis,
            settings.redis.key_prefix,
            filters,
            settings.backfill.progress_ttl_days,
        )
        backfill = Backfill(
            engine=runtime.engine,
            intigriti=runtime.intigriti,
            jira=runtime.jira,
            state=runtime.state,
            mapping=runtime.mapping,
            tables=settings.intigriti.enums,
            api_version=settings.intigriti.api_version,
            progress=progress,
            filters=filters,
            concurrency=concurrency or settings.backfill.concurrency,
            dry_run=dry_run,
            echo=echo,
        )
        return backfill.run(progress_display("backfill"), stop)
