"""Every template of a mapping, tried before any submission arrives.

A template that names a variable the context lacks (``{{ titel }}``), uses
a filter or test Jinja does not have, or fails on a value's type would fail
on every submission and quarantine it. ``template_problems`` finds these
when the file is loaded, in two passes over each template:

- statically, on its syntax tree: names that are neither in the context nor
  set by the template, and unknown filters and tests, even in branches a
  sample would not take;
- by rendering it against two synthetic submissions: ``full`` has every key
  of ``template_context`` set to a realistic value, ``sparse`` has every key
  that may be None set to None (and no tags), as a fresh submission often is
  (its status id is one the enum tables do not know, so ``status`` is None).

Pure and fast: a few hundred renders, each bounded by the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import meta, nodes
from pydantic import BaseModel

from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import (
    Enumerated,
    InternalReference,
    Money,
    SeverityRating,
    Submission,
)
from syncd.mapping.models import Mapping
from syncd.mapping.templates import Template, environment, template_context

Loc = tuple[str | int, ...]


def template_problems(mapping: Mapping) -> list[tuple[Loc, str]]:
    """``(location in the file, problem)`` for each template that fails."""
    found: list[tuple[Loc, str]] = []
    for loc, template in templates_of(mapping):
        problem = static_problem(template) or _render_problem(template)
        if problem is not None:
            found.append((loc, problem))
    return found


def templates_of(node: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Template]]:
    """Each Template in a mapping model, with its key path in the file."""
    if isinstance(node, Template):
        yield loc, node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from templates_of(getattr(node, name), (*loc, info.alias or name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from templates_of(value, (*loc, str(key)))
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            yield from templates_of(item, (*loc, index))


def static_problem(template: Template) -> str | None:
    """An unknown name, filter or test in ``template``, or None."""
    env = environment()
    tree = env.parse(template.source)
    known = set(sample_contexts()["full"]) | set(env.globals)
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    if unknown:
        return f"undefined name {unknown[0]!r} (not in the template context)"
    for kind, table, node_type in (
        ("filter", env.filters, nodes.Filter),
        ("test", env.tests, nodes.Test),
    ):
        for node in tree.find_all(node_type):
            if node.name not in table:
                return f"no {kind} named {node.name!r}"
    return None


def _render_problem(template: Template) -> str | None:
    for sample, context in sample_contexts().items():
        problem = template.problem(context)
        if problem is not None:
            return f"fails with a {sample} sample submission: {problem}"
    return None


@cache
def sample_contexts() -> dict[str, dict[str, Any]]:
    """The ``full`` and ``sparse`` contexts (see the module doc); do not edit."""
    tables = EnumTables()
    return {
        "full": template_context(_full_submission(), tables),
        "sparse": template_context(_sparse_submission(), tables),
    }


def _sparse_submission() -> Submission:
    return Submission(
        code="KESTRELWORKS-ABCD1234",
        title="Reflected XSS in the search page",
        status=Enumerated(id=99, value="Triage"),
        created_at=datetime(2025, 3, 4, 10, 15, tzinfo=UTC),
        last_updated_at=datetime(2025, 3, 4, 10, 15, tzinfo=UTC),
    )


def _full_submission() -> Submission:
    return _sparse_submission().model_copy(
        update={
            "original_title": "XSS in search",
            "program_id": "3f0c9a5e-1b2d-4c6e-9f10-a1b2c3d4e5f6",
            "program_handle": "kestrelworks",
            "program_name": "Kestrel Works",
            "status": Enumerated(id=5, value="Closed"),
            "close_reason": Enumerated(id=2, value="Duplicate"),
            "duplicate_of": "KESTRELWORKS-ZZZZ9999",
            "severity": SeverityRating(
                id=4,
                value="High",
                vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                score=7.1,
            ),
            "vulnerability_type": "Cross-Site Scripting (Reflected)",
            "vulnerability_category": "Injection",
            "cwe": "CWE-79",
            "asset": "www.kestrelworks.example",
            "endpoint": "/search?q=",
            "tags": ("xss", "search page"),
            "submitter": "quietlark",
            "assignee": "triager-anna",
            "web_url": "https://app.intigriti.com/company/submissions/p/KESTRELWORKS-ABCD1234",
            "internal_reference": InternalReference(reference="SEC-42"),
            "total_payout": Money(value=1750, currency="EUR"),
        }
    )
