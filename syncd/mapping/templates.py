"""Jinja2 templates of a mapping file, sandboxed.

Templates run in Jinja's immutable sandbox, bounded in steps and output
(``sandbox``), with ``StrictUndefined`` (a
misspelt name is an error, not an empty string) and without autoescaping:
output is Jira text, and whatever carries researcher content is made inert
by the renderer, not by the template. ``None`` renders as an empty string.

The context, built by ``template_context``, is a plain dict:

=====================  ======================================================
key                    value
=====================  ======================================================
code                   submission code, ``NORTHWIND-7QK2XW9D``
title                  current title
original_title         title as first submitted, or None
program_id             program id (a GUID), or None
program_handle         program handle, ``northwind``, or None
program_name           program display name, or None
severity               canonical name: ``low`` ... ``exceptional``, or None
severity_label         Intigriti's display value, ``High``, or None
severity_score         CVSS score (float), or None
severity_vector        CVSS vector, ``CVSS:3.1/AV:N/...``, or None
vulnerability_type     ``Cross-Site Scripting (Stored)``, or None
vulnerability_category ``Injection``, or None
cwe                    ``cwe-79`` (lowercase), or None
asset                  asset / domain name, ``support.northwind.example``, or None
endpoint               vulnerable endpoint or component, or None
status                 canonical status: ``triage``, ``accepted``, ... or None
status_label           Intigriti's display value of the status
close_reason           canonical close reason, or None
duplicate_of           code of the original when a duplicate, or None
submitter              researcher user name, or None
assignee               assignee user name, or None
url                    link to the submission on Intigriti, or None
created_at             creation time (aware ``datetime``)
created_date           creation day, ``2024-12-18``
last_updated_at        last update time (aware ``datetime``)
tags                   list of tag strings
internal_reference     the company's reference (e.g. a Jira key), or None
payout                 total payout, ``1750.00 EUR``, or None
=====================  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2 import Template as JinjaTemplate
from jinja2.exceptions import SecurityError
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from syncd.errors import MappingError
from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import Submission
from syncd.mapping.sandbox import (
    OUTPUT_LIMIT,
    BoundedSandbox,
    RenderLimitError,
    bound_loops,
    budget,
)


def _finalize(value: object) -> object:
    return "" if value is None else value


@cache
def environment() -> BoundedSandbox:
    return BoundedSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        keep_trailing_newline=False,
    )


_RENDER_ERRORS = (
    TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    RecursionError,
)


def _detail(exc: BaseException) -> str:
    """The sandbox's own message (it names variables, never their values);
    for other errors only the type, as their text may quote a submission."""
    if isinstance(exc, UndefinedError | SecurityError | RenderLimitError):
        return str(exc.message or "")[:200]
    return type(exc).__name__


@dataclass(frozen=True, eq=False)
class Template:
    """A template string compiled when the mapping is loaded."""

    source: str
    compiled: JinjaTemplate

    @classmethod
    def compile(cls, source: str) -> Template:
        try:
            env = environment()
            compiled = env.from_string(bound_loops(env.parse(source)))
        except TemplateSyntaxError as exc:
            raise ValueError(
                f"template syntax error: {exc.message} (template line {exc.lineno})"
            ) from None
        return cls(source, compiled)

    def render(self, context: dict[str, Any], where: str) -> str:
        """Render, or raise a MappingError naming ``where`` (rule and field)."""
        try:
            return self._bounded_render(context)
        except _RENDER_ERRORS as exc:
            detail = _detail(exc)
        # Exceptions may quote submission content, so none is chained.
        raise MappingError(f"{where}: template failed: {detail}") from None

    def problem(self, context: dict[str, Any]) -> str | None:
        """Why rendering with ``context`` fails, or None if it renders."""
        try:
            self._bounded_render(context)
        except _RENDER_ERRORS as exc:
            return _detail(exc)
        return None

    def _bounded_render(self, context: dict[str, Any]) -> str:
        chunks: list[str] = []
        size = 0
        with budget():
            for chunk in self.compiled.generate(context):
                size += len(chunk)
                if size > OUTPUT_LIMIT:
                    raise RenderLimitError(f"output above {OUTPUT_LIMIT} characters")
                chunks.append(chunk)
        return "".join(chunks)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls.compile,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda template: template.source
            ),
        )


def template_context(submission: Submission, tables: EnumTables) -> dict[str, Any]:
    """The variables a mapping's templates see (table in the module doc)."""
    severity = submission.severity
    status = submission.status_name(tables)
    close_reason = submission.close_reason_name(tables)
    severity_name = submission.severity_name(tables)
    payout = submission.total_payout
    return {
        "code": submission.code,
        "title": submission.title,
        "original_title": submission.original_title,
        "program_id": submission.program_id,
        "program_handle": submission.program_handle,
        "program_name": submission.program_name,
        "severity": None if severity_name is None else str(severity_name),
        "severity_label": severity.value if severity else None,
        "severity_score": severity.score if severity else None,
        "severity_vector": severity.vector if severity else None,
        "vulnerability_type": submission.vulnerability_type,
        "vulnerability_category": submission.vulnerability_category,
        "cwe": normalise_cwe(submission.cwe),
        "asset": submission.asset,
        "endpoint": submission.endpoint,
        "status": None if status is None else str(status),
        "status_label": submission.status.value,
        "close_reason": None if close_reason is None else str(close_reason),
        "duplicate_of": submission.duplicate_of,
        "submitter": submission.submitter,
        "assignee": submission.assignee,
        "url": submission.web_url,
        "created_at": submission.created_at,
        "created_date": submission.created_at.date().isoformat(),
        "last_updated_at": submission.last_updated_at,
        "tags": list(submission.tags),
        "internal_reference": (
            submission.internal_reference.reference
            if submission.internal_reference
            else None
        ),
        "payout": f"{payout.value:.2f} {payout.currency}" if payout else None,
    }


def normalise_cwe(cwe: str | None) -> str | None:
    """``79``, ``CWE-79`` and ``cwe-79`` all become ``cwe-79``."""
    if cwe is None or not cwe.strip():
        return None
    number = cwe.strip().lower().removeprefix("cwe").lstrip("-_ ")
    return f"cwe-{number}"
