"""Templates: the context, strict undefined, the sandbox."""

from __future__ import annotations

import pytest

from syncd.errors import MappingError
from syncd.intigriti.enums import EnumTables
from syncd.intigriti.models import Money
from syncd.mapping.templates import Template, template_context

from .conftest import MakeSubmission


def _render(source: str, make_submission: MakeSubmission, **overrides: object) -> str:
    context = template_context(make_submission(**overrides), EnumTables())
    return Template.compile(source).render(context, "defaults.summary")


def test_context_holds_canonical_names(make_submission: MakeSubmission) -> None:
    context = template_context(
        make_submission(total_payout=Money(value=1750, currency="EUR")), EnumTables()
    )

    assert {
        key: context[key]
        for key in ("severity", "severity_label", "status", "cwe", "created_date")
    } == {
        "severity": "high",
        "severity_label": "High",
        "status": "accepted",
        "cwe": "cwe-79",
        "created_date": "2024-12-18",
    }
    assert context["payout"] == "1750.00 EUR"
    assert context["tags"] == ["xss", "support portal"]


def test_none_renders_empty(make_submission: MakeSubmission) -> None:
    assert _render("[{{ endpoint }}]", make_submission, endpoint=None) == "[]"


def test_undefined_name_names_the_field_not_the_content(
    make_submission: MakeSubmission,
) -> None:
    with pytest.raises(MappingError) as caught:
        _render("{{ titel }}", make_submission)

    assert str(caught.value) == (
        "defaults.summary: template failed: 'titel' is undefined"
    )


def test_runtime_error_carries_only_its_type(make_submission: MakeSubmission) -> None:
    with pytest.raises(MappingError) as caught:
        _render("{{ title + 1 }}", make_submission, title="SECRET-PAYLOAD")

    assert str(caught.value) == "defaults.summary: template failed: TypeError"
    assert caught.value.__cause__ is None


def test_sandbox_refuses_attribute_escapes(make_submission: MakeSubmission) -> None:
    with pytest.raises(MappingError) as caught:
        _render("{{ title.__class__.__mro__ }}", make_submission)

    assert "defaults.summary: template failed:" in str(caught.value)


def test_sandbox_is_immutable(make_submission: MakeSubmission) -> None:
    with pytest.raises(MappingError):
        _render("{{ tags.append('x') }}", make_submission)


def test_output_is_not_html_escaped(make_submission: MakeSubmission) -> None:
    assert _render("{{ title }}", make_submission, title="a < b & c") == "a < b & c"
