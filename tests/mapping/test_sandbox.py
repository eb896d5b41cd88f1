"""The sandbox's budget: loops, ranges, repetition and output are bounded."""

from __future__ import annotations

import time

import pytest

from syncd.errors import MappingError
from syncd.mapping.sandbox import OUTPUT_LIMIT, STEP_LIMIT
from syncd.mapping.templates import Template

TEN_TO_THE_TEN = (
    "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
)


def _failure(source: str) -> str:
    with pytest.raises(MappingError) as caught:
        Template.compile(source).render({"tags": ["xss"]}, "defaults.summary")
    return str(caught.value)


def test_nested_loops_of_ten_to_the_ten_steps_fail_at_once() -> None:
    started = time.perf_counter()

    message = _failure(TEN_TO_THE_TEN)

    assert time.perf_counter() - started < 5  # unbounded, this runs for minutes
    assert message == (
        f"defaults.summary: template failed: more than {STEP_LIMIT} loop steps"
    )


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(99999) %}{% for b in 'abcdefgh' %}{% endfor %}{% endfor %}",
        "{% for a in range(99999) if false %}{% endfor %}"
        "{% for a in range(99999) if false %}{% endfor %}",
        "{% for x in [1] recursive %}{% for y in [1, 2] %}{{ loop([1, 2]) }}"
        "{% endfor %}{% endfor %}",
        "{{ 'x' * 1000000000 }}",
        "{{ (range(50000) | list) * 3 }}",
    ],
)
def test_work_past_the_step_budget_fails_fast(source: str) -> None:
    started = time.perf_counter()

    message = _failure(source)

    assert time.perf_counter() - started < 5  # unbounded, this runs for minutes
    assert message.startswith("defaults.summary: template failed: ")


def test_output_past_the_limit_fails() -> None:
    template = Template.compile("{{ title }} {{ title }}")

    with pytest.raises(MappingError) as caught:
        template.render({"title": "x" * (OUTPUT_LIMIT // 2)}, "defaults.summary")

    assert str(caught.value) == (
        f"defaults.summary: template failed: output above {OUTPUT_LIMIT} characters"
    )


def test_a_huge_exponent_is_refused() -> None:
    assert _failure("{{ 10 ** 100000000 }}") == (
        "defaults.summary: template failed: exponent above 1000"
    )


def test_unbounded_macro_recursion_is_a_mapping_error() -> None:
    source = "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"

    assert _failure(source) == "defaults.summary: template failed: RecursionError"


def test_ordinary_loops_and_arithmetic_still_render() -> None:
    source = (
        "{% for t in tags %}{{ loop.index }}:{{ t }} {% endfor %}"
        "{{ 2 * 3 }} {{ 'ab' * 2 }} {{ 2 ** 10 }} {{ range(3) | join(',') }}"
    )

    rendered = Template.compile(source).render({"tags": ["xss", "ssrf"]}, "x")

    assert rendered == "1:xss 2:ssrf 6 abab 1024 0,1,2"


def test_each_render_gets_a_fresh_budget() -> None:
    template = Template.compile("{% for a in range(40000) %}{% endfor %}")

    renders = [template.render({}, "x") for _ in range(5)]

    assert renders == [""] * 5
