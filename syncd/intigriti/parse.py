"""Turn Intigriti JSON (v2.1, v2.0, v1.2) into the models of ``models.py``.

Pure functions: no I/O besides log lines. Shapes follow
``shared/intigriti/openapi-v2.1.json`` (v2.x) and ``API.md`` sections 4.8 and 8
(v1.2). Keys syncd does not model are kept raw in ``extra`` under their dotted
path; a key no version of the API is known to send is also logged, once per
process, by name only. Enumeration ids outside the configured tables stay raw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from syncd.intigriti.enums import EnumTables
from syncd.intigriti.keys import (
    EVENT_KEYS,
    PROGRAM_KEYS_V1,
    PROGRAM_KEYS_V2,
    SUBMISSION_KEYS_V1,
    SUBMISSION_KEYS_V2,
    SUMMARY_KEYS_V2,
)
from syncd.intigriti.models import Program, Submission, SubmissionEvent
from syncd.intigriti.models import SubmissionSummary as Summary
from syncd.intigriti.readers import (
    Context,
    Json,
    is_v1,
    leftovers,
    nested_leftovers,
    read_attachments,
    read_close_reason,
    read_enumerated,
    read_money,
    read_object,
    read_questions,
    read_reference,
    read_severity,
    read_status,
    read_tags,
    read_text,
    read_timestamp,
    read_user_name,
    required_text,
    required_timestamp,
)
from syncd.settings import IntigritiApiVersion

T = TypeVar("T")
_DEFAULT_TABLES = EnumTables()


def _code(data: object, version: IntigritiApiVersion) -> tuple[Json, Context]:
    ctx = Context(version)
    if not isinstance(data, Mapping):
        raise ctx.malformed("<root>", "is not an object")
    code = required_text(data, "code", ctx)
    return data, Context(version, submission=code)


# --- submissions -------------------------------------------------------------


def parse_submission(
    data: object, version: IntigritiApiVersion, tables: EnumTables = _DEFAULT_TABLES
) -> Submission:
    """One ``GET /submissions/{code}`` body as a ``Submission``."""
    body, ctx = _code(data, version)
    if is_v1(version):
        return _submission_v1(body, ctx, tables)
    return _submission_v2(body, ctx, tables)


def _submission_v2(body: Json, ctx: Context, tables: EnumTables) -> Submission:
    keys = SUBMISSION_KEYS_V2
    originators = read_object(body, "originators", ctx) or {}
    report = read_object(body, "report", ctx) or {}
    state = read_object(body, "state", ctx)
    if state is None:
        raise ctx.malformed("state", "is missing")
    report_ctx, state_ctx = ctx.inside("report"), ctx.inside("state")
    kind = read_object(report, "type", report_ctx) or {}
    domain = read_object(report, "domain", report_ctx) or {}
    duplicate = read_object(state, "duplicateInfo", state_ctx) or {}
    kind_ctx, domain_ctx = report_ctx.inside("type"), report_ctx.inside("domain")
    duplicate_ctx = state_ctx.inside("duplicateInfo")
    reward = read_object(body, "reward", ctx) or {}
    updated = read_object(body, "lastUpdated", ctx) or {}
    links = read_object(body, "webLinks", ctx) or {}
    created_at = required_timestamp(body, "createdAt", ctx)
    original_title = read_text(report, "originalTitle", report_ctx)

    extra = leftovers(body, keys.modelled["."], keys.known["."], ctx, "submission")
    for name in ("originators", "report", "state", "reward", "lastUpdated"):
        extra.update(nested_leftovers(body, name, keys, ctx))

    return Submission(
        code=required_text(body, "code", ctx),
        program_id=read_text(originators, "programId", ctx.inside("originators")),
        title=read_text(body, "title", ctx) or original_title or "",
        original_title=original_title,
        status=read_status(state, state_ctx, tables),
        close_reason=read_close_reason(state, state_ctx, tables),
        duplicate_of=read_text(duplicate, "parentSubmissionCode", duplicate_ctx),
        severity=read_severity(body, ctx, tables),
        vulnerability_type=read_text(kind, "name", kind_ctx),
        vulnerability_category=read_text(kind, "category", kind_ctx),
        cwe=read_text(kind, "cwe", kind_ctx),
        asset=read_text(domain, "name", domain_ctx),
        endpoint=read_text(report, "endpointVulnerableComponent", report_ctx),
        poc_description=read_text(report, "pocDescription", report_ctx),
        impact=read_text(report, "impact", report_ctx),
        recommended_solution=read_text(report, "recommendedSolution", report_ctx),
        questions=read_questions(report, report_ctx),
        tags=read_tags(body, ctx),
        attachments=read_attachments(report, report_ctx),
        submitter=read_user_name(body, "submitter", ctx),
        assignee=read_user_name(body, "assignee", ctx),
        created_at=created_at,
        last_updated_at=(
            read_timestamp(updated, "lastUpdatedAt", ctx.inside("lastUpdated"))
            or created_at
        ),
        web_url=read_text(links, "details", ctx.inside("webLinks")),
        internal_reference=read_reference(body, ctx),
        total_payout=read_money(reward, "totalPayout", ctx.inside("reward")),
        extra=extra,
    )


def _submission_v1(body: Json, ctx: Context, tables: EnumTables) -> Submission:
    keys = SUBMISSION_KEYS_V1
    program = read_object(body, "program", ctx) or {}
    program_ctx = ctx.inside("program")
    state = read_object(body, "state", ctx)
    if state is None:
        raise ctx.malformed("state", "is missing")
    state_ctx = ctx.inside("state")
    kind = read_object(body, "type", ctx) or {}
    domain = read_object(body, "domain", ctx) or {}
    created_at = required_timestamp(body, "createdAt", ctx)
    original_title = read_text(body, "originalTitle", ctx)
    duplicate_url = read_text(state, "duplicateSubmissionUrl", state_ctx)

    extra = leftovers(body, keys.modelled["."], keys.known["."], ctx, "submission")
    extra.update(nested_leftovers(body, "state", keys, ctx))

    return Submission(
        code=required_text(body, "code", ctx),
        program_id=read_text(program, "id", program_ctx),
        program_handle=read_text(program, "handle", program_ctx),
        program_name=read_text(program, "name", program_ctx),
        title=read_text(body, "title", ctx) or original_title or "",
        original_title=original_title,
        status=read_status(state, state_ctx, tables),
        close_reason=read_close_reason(state, state_ctx, tables),
        duplicate_of=_duplicate_from_url(duplicate_url),
        severity=read_severity(body, ctx, tables),
        vulnerability_type=read_text(kind, "name", ctx.inside("type")),
        vulnerability_category=read_text(kind, "category", ctx.inside("type")),
        cwe=read_text(kind, "cwe", ctx.inside("type")),
        asset=read_text(domain, "value", ctx.inside("domain")),
        endpoint=read_text(body, "endpointVulnerableComponent", ctx),
        poc_description=read_text(body, "pocDescription", ctx),
        impact=read_text(body, "impact", ctx),
        recommended_solution=read_text(body, "recommendedSolution", ctx),
        questions=read_questions(body, ctx),
        tags=read_tags(body, ctx),
        submitter=read_user_name(body, "researcher", ctx),
        assignee=read_user_name(body, "assignee", ctx),
        created_at=created_at,
        last_updated_at=read_timestamp(body, "lastUpdatedAt", ctx) or created_at,
        web_url=_v1_web_url(body, ctx),
        internal_reference=read_reference(body, ctx),
        extra=extra,
    )


def _duplicate_from_url(url: str | None) -> str | None:
    # v1.2 names the parent only by its portal URL, whose last segment is the code.
    if not url:
        return None
    return url.rstrip("/").rsplit("/", 1)[-1] or None


def _v1_web_url(body: Json, ctx: Context) -> str | None:
    for name in ("webLinks", "links"):
        links = read_object(body, name, ctx)
        if links is not None:
            url = read_text(links, "details", ctx.inside(name))
            if url:
                return url
    return read_text(body, "submissionDetailUrl", ctx)


def parse_summary(
    data: object, version: IntigritiApiVersion, tables: EnumTables = _DEFAULT_TABLES
) -> Summary:
    """One item of ``GET /submissions`` as a ``SubmissionSummary``."""
    body, ctx = _code(data, version)
    created_at = required_timestamp(body, "createdAt", ctx)
    if is_v1(version):
        known = SUBMISSION_KEYS_V1.known["."]
        program = read_object(body, "program", ctx) or {}
        program_id = read_text(program, "id", ctx.inside("program"))
    else:
        known = SUMMARY_KEYS_V2
        originators = read_object(body, "originators", ctx) or {}
        program_id = read_text(originators, "programId", ctx.inside("originators"))
    leftovers(body, frozenset(), known, ctx, "summary")

    return Summary(
        code=required_text(body, "code", ctx),
        program_id=program_id,
        last_updated_at=read_timestamp(body, "lastUpdatedAt", ctx) or created_at,
    )


# --- events and programs -----------------------------------------------------


def parse_event(
    data: object, version: IntigritiApiVersion, submission: str | None = None
) -> SubmissionEvent:
    """One item of ``GET /submissions/{code}/events`` (or v1.2 ``events[]``)."""
    ctx = Context(version, submission=submission)
    if not isinstance(data, Mapping):
        raise ctx.malformed("events[]", "holds a non-object")
    kind = read_enumerated(data, "type", ctx)
    if kind is None:
        raise ctx.malformed("type", "is missing")
    user = read_object(data, "user", ctx) or {}
    user_ctx = ctx.inside("user")

    return SubmissionEvent(
        type=kind,
        created_at=required_timestamp(data, "createdAt", ctx),
        visibility=read_enumerated(data, "visibility", ctx),
        user_name=read_text(user, "userName", user_ctx),
        user_id=read_text(user, "userId", user_ctx),
        extra=leftovers(data, EVENT_KEYS.modelled, EVENT_KEYS.known, ctx, "event"),
    )


def parse_program(data: object, version: IntigritiApiVersion) -> Program:
    """A program overview, a program detail, or a v1.2 embedded ``program``."""
    ctx = Context(version)
    if not isinstance(data, Mapping):
        raise ctx.malformed("program", "is not an object")
    pctx = ctx.inside("program")
    known = PROGRAM_KEYS_V1 if is_v1(version) else PROGRAM_KEYS_V2
    leftovers(data, frozenset(), known, pctx, "program")

    handle = required_text(data, "handle", pctx)
    # Overview says "id", detail says "programId" (API.md section 8, quirk 3);
    # a v1.2 list item carries no id at all, so the handle stands in.
    identifier = (
        read_text(data, "id", pctx) or read_text(data, "programId", pctx) or handle
    )
    return Program(
        id=identifier, handle=handle, name=read_text(data, "name", pctx) or ""
    )


def parse_list(
    data: object,
    parse_one: Callable[[object], T],
    version: IntigritiApiVersion,
    what: str,
) -> list[T]:
    """Apply ``parse_one`` to each item of a bare JSON array response."""
    if not isinstance(data, list):
        raise Context(version).malformed(what, "is not a list")
    return [parse_one(item) for item in data]
