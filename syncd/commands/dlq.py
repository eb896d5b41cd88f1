"""`syncd dlq list | retry | drop`: the quarantined submissions (dead letters).

A submission is quarantined when syncing it failed for a permanent reason (a
mapping error, a payload Jira rejects). Its record holds the version that
failed; the submission is tried again when it changes, when ``retry`` or
``drop`` releases it, or when ``sync --full --retry-quarantined`` releases
every record. ``retry`` syncs at once; ``drop`` leaves that to a later pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from syncd.engine import Engine, Outcome
from syncd.settings import Settings
from syncd.state import QuarantineRecord, State, connect_redis

SUCCEEDED = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED})


@contextmanager
def open_state(settings: Settings) -> Iterator[State]:
    """The Redis state alone: listing and dropping need neither API."""
    client = connect_redis(settings.redis)
    try:
        yield State(client, settings.redis.key_prefix)
    finally:
        client.close()


def _version(record: QuarantineRecord) -> str:
    # A submission quarantined from a webhook or a retry has no version (0).
    if not record.updated_at:
        return "-"
    return datetime.fromtimestamp(record.updated_at, tz=UTC).isoformat()


def records_json(records: Iterable[QuarantineRecord]) -> str:
    return json.dumps(
        [
            {
                "code": record.code,
                "error": record.error,
                "reason": record.reason,
                "at": record.at.isoformat(),
                "updated_at": record.updated_at,
            }
            for record in records
        ],
        indent=2,
        ensure_ascii=False,
    )


def records_text(records: Sequence[QuarantineRecord]) -> str:
    if not records:
        return "No quarantined submissions."
    rows = [("CODE", "ERROR", "QUARANTINED AT", "VERSION", "REASON")]
    rows += [
        (r.code, r.error, r.at.isoformat(), _version(r), r.reason) for r in records
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[4]]
        )
        for row in rows
    )


def select(
    state: State, codes: Sequence[str], every: bool
) -> tuple[list[str], list[str]]:
    """The quarantined codes chosen, and the chosen codes that are not."""
    quarantined = [record.code for record in state.quarantined()]
    if every:
        return quarantined, []
    held = set(quarantined)
    chosen = list(dict.fromkeys(codes))
    return [c for c in chosen if c in held], [c for c in chosen if c not in held]


def retry(
    engine: Engine, state: State, codes: Iterable[str]
) -> list[tuple[Outcome, str]]:
    """Release and sync each submission now: its outcome and a line to print."""
    lines = []
    for code in codes:
        state.release_quarantine(code)
        outcome = engine.sync_code(code)
        line = f"{code}: {outcome.value}"
        record = state.quarantine_record(code)
        if outcome is Outcome.QUARANTINED and record is not None:
            line += f" again ({record.error}: {record.reason})"
        lines.append((outcome, line))
    return lines


def drop(state: State, codes: Iterable[str]) -> list[str]:
    """Release each submission without syncing it."""
    return [
        f"{code}: dropped" if state.release_quarantine(code) else f"{code}: gone"
        for code in codes
    ]
