"""Typed readers of Intigriti JSON, with errors that name code and key.

Each reader takes an object, a key and a ``Context`` (version, submission code,
dotted path) and returns a typed value or raises ``MalformedResponseError``.
Nothing here logs values: only key names and enumeration ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncd.intigriti.enums import EnumTables
from syncd.intigriti.errors import MalformedResponseError
from syncd.intigriti.keys import NestedKeySets
from syncd.intigriti.models import (
    Attachment,
    Enumerated,
    InternalReference,
    Money,
    Question,
    SeverityRating,
)
from syncd.intigriti.once import note_unknown_enum, note_unknown_field
from syncd.settings import IntigritiApiVersion

Json = Mapping[str, Any]


@dataclass(frozen=True)
class Context:
    """Where a value sits, for error messages and unknown-key logs."""

    version: IntigritiApiVersion
    submission: str | None = None
    prefix: str = ""

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def inside(self, name: str) -> Context:
        return Context(self.version, self.submission, f"{self.prefix}{name}.")

    def malformed(self, name: str, problem: str) -> MalformedResponseError:
        key = self.key(name)
        where = "response" if self.submission is None else self.submission
        return MalformedResponseError(
            f"Intigriti {self.version} {where}: key '{key}' {problem}",
            submission=self.submission,
            key=key,
        )


def is_v1(version: IntigritiApiVersion) -> bool:
    return version == "v1.2"


# --- typed readers -----------------------------------------------------------


def read_object(data: Json, name: str, ctx: Context) -> Json | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ctx.malformed(name, "is not an object")
    return value


def read_list(data: Json, name: str, ctx: Context) -> list[Any]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.malformed(name, "is not a list")
    return value


def read_text(data: Json, name: str, ctx: Context) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ctx.malformed(name, "is not a string")


def required_text(data: Json, name: str, ctx: Context) -> str:
    value = read_text(data, name, ctx)
    if not value:
        raise ctx.malformed(name, "is missing")
    return value


def read_number(data: Json, name: str, ctx: Context) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.malformed(name, "is not a number")
    return float(value)


def read_integer(data: Json, name: str, ctx: Context) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.malformed(name, "is not an integer")
    return value


def read_timestamp(data: Json, name: str, ctx: Context) -> datetime | None:
    # Every Intigriti timestamp is int64 unix seconds (API.md section 4.1).
    seconds = read_number(data, name, ctx)
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def required_timestamp(data: Json, name: str, ctx: Context) -> datetime:
    value = read_timestamp(data, name, ctx)
    if value is None:
        raise ctx.malformed(name, "is missing")
    return value


def read_enumerated(data: Json, name: str, ctx: Context) -> Enumerated | None:
    raw = read_object(data, name, ctx)
    if raw is None:
        return None
    inner = ctx.inside(name)
    number = read_integer(raw, "id", inner)
    if number is None:
        raise inner.malformed("id", "is missing")
    return Enumerated(id=number, value=read_text(raw, "value", inner) or "")


def checked(
    value: Enumerated | None, kind: str, table: Mapping[int, object]
) -> Enumerated | None:
    if value is not None and value.id not in table:
        note_unknown_enum(kind, value.id)
    return value


def read_money(data: Json, name: str, ctx: Context) -> Money | None:
    raw = read_object(data, name, ctx)
    if raw is None:
        return None
    inner = ctx.inside(name)
    value = read_number(raw, "value", inner)
    currency = read_text(raw, "currency", inner)
    if value is None or currency is None:
        raise inner.malformed("value" if value is None else "currency", "is missing")
    return Money(value=value, currency=currency)


def read_severity(
    data: Json, ctx: Context, tables: EnumTables
) -> SeverityRating | None:
    raw = read_object(data, "severity", ctx)
    if raw is None:
        return None
    inner = ctx.inside("severity")
    number = read_integer(raw, "id", inner)
    if number is not None and number not in tables.severity:
        note_unknown_enum("severity", number)
    return SeverityRating(
        id=number,
        value=read_text(raw, "value", inner),
        vector=read_text(raw, "vector", inner),
        score=read_number(raw, "score", inner),
    )


def read_reference(data: Json, ctx: Context) -> InternalReference | None:
    raw = read_object(data, "internalReference", ctx)
    if raw is None:
        return None
    inner = ctx.inside("internalReference")
    reference = InternalReference(
        reference=read_text(raw, "reference", inner), url=read_text(raw, "url", inner)
    )
    if reference.reference is None and reference.url is None:
        return None
    return reference


def read_user_name(data: Json, name: str, ctx: Context) -> str | None:
    raw = read_object(data, name, ctx)
    return None if raw is None else read_text(raw, "userName", ctx.inside(name))


def read_status(state: Json, ctx: Context, tables: EnumTables) -> Enumerated:
    status = checked(read_enumerated(state, "status", ctx), "status", tables.status)
    if status is None:
        raise ctx.malformed("status", "is missing")
    return status


def read_close_reason(
    state: Json, ctx: Context, tables: EnumTables
) -> Enumerated | None:
    reason = read_enumerated(state, "closeReason", ctx)
    # Overview items may say {"id": 0, "value": ""} for "no reason" (API.md 5.2).
    if reason is None or (reason.id == 0 and not reason.value):
        return None
    return checked(reason, "close_reason", tables.close_reason)


def read_questions(report: Json, ctx: Context) -> tuple[Question, ...]:
    questions = []
    for raw in read_list(report, "questions", ctx):
        if not isinstance(raw, Mapping):
            raise ctx.malformed("questions", "holds a non-object")
        inner = ctx.inside("questions")
        questions.append(
            Question(
                question=read_text(raw, "question", inner) or "",
                answer=read_text(raw, "answer", inner),
            )
        )
    return tuple(questions)


def read_attachments(report: Json, ctx: Context) -> tuple[Attachment, ...]:
    attachments = []
    inner = ctx.inside("attachments")
    for raw in read_list(report, "attachments", ctx):
        if not isinstance(raw, Mapping):
            raise ctx.malformed("attachments", "holds a non-object")
        code = read_integer(raw, "code", inner)
        url = read_text(raw, "url", inner)
        if code is None or url is None:
            raise inner.malformed("code" if code is None else "url", "is missing")
        attachments.append(Attachment(code=code, url=url))
    return tuple(attachments)


def read_tags(data: Json, ctx: Context) -> tuple[str, ...]:
    tags = read_list(data, "tags", ctx)
    if not all(isinstance(tag, str) for tag in tags):
        raise ctx.malformed("tags", "holds a non-string")
    return tuple(tags)


# --- leftovers ---------------------------------------------------------------


def leftovers(
    data: Json,
    modelled: frozenset[str],
    known: frozenset[str],
    ctx: Context,
    shape: str,
) -> dict[str, Any]:
    """Keys not modelled, raw under their dotted path; unknown ones logged once."""
    extra: dict[str, Any] = {}
    for name, value in data.items():
        if name in modelled:
            continue
        extra[ctx.key(name)] = value
        if name not in known:
            note_unknown_field(shape, ctx.key(name), ctx.version)
    return extra


def nested_leftovers(
    data: Json, name: str, keys: NestedKeySets, ctx: Context
) -> dict[str, Any]:
    raw = read_object(data, name, ctx)
    if raw is None:
        return {}
    inner = ctx.inside(name)
    return leftovers(raw, keys.modelled[name], keys.known[name], inner, "submission")
