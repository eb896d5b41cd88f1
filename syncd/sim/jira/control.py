"""Observable and adjustable knobs: request log, write counters, faults."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}


@dataclass
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    user: str | None
    at: str
    template: str | None = None

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body.pop("template")
        return body


@dataclass
class Faults:
    """Injected trouble. Rates are probabilities per request (0..1).

    `error_rate` answers `error_status` (503 by default) with `Retry-After`
    when `retry_after_s` is set; `drop_rate` cuts the response short so the
    client sees a broken connection; `drop_after_rate` does the same after
    the request took effect (a create whose answer is lost on the way back);
    `latency_ms` delays every answer.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    retry_after_s: int | None = None
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Journal:
    """Requests seen and writes counted per `METHOD /path/template`."""

    records: list[RequestRecord] = field(default_factory=list)
    writes: Counter[str] = field(default_factory=Counter)

    def record(self, entry: RequestRecord) -> None:
        self.records.append(entry)
        if entry.method in WRITE_METHODS and entry.template is not None:
            self.writes[f"{entry.method} {entry.template}"] += 1

    def clear(self) -> None:
        self.records.clear()
        self.writes.clear()
