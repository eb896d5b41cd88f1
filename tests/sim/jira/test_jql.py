"""The JQL parser and evaluator on their own, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd.sim.jira import jql, jql_eval
from syncd.sim.jira.jql import And, Clause, Empty, Not, Or, Value

NOW = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)


def context(zone: str = "Europe/Brussels") -> jql_eval.SearchContext:
    return jql_eval.SearchContext(
        time_zone=ZoneInfo(zone),
        now=NOW,
        known={"project": {"sec", "mobile"}, "status": {"to do", "done"}},
        key_exists=lambda key: key in {"SEC-1", "SEC-2"},
    )


def doc(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "project": frozenset({"sec"}),
        "status": frozenset({"to do"}),
        "labels": frozenset(),
        "issuekey": frozenset({"SEC-1"}),
        "_keys": [1, ("sec", 1)],
        "id": 1,
        "created": NOW,
        "updated": NOW,
        "resolved": None,
        "_sort": {"id": 1, "created": 0.0},
    }
    base.update(values)
    return base


def matches(text: str, document: dict[str, Any], zone: str = "Europe/Brussels") -> bool:
    predicate, _ = jql_eval.compile_query(jql.parse(text), context(zone))
    return predicate(document)


def test_and_binds_tighter_than_or() -> None:
    query = jql.parse("project = A OR project = B AND labels = x")
    assert isinstance(query.where, Or)
    assert isinstance(query.where.right, And)


def test_parentheses_override_precedence() -> None:
    query = jql.parse("(project = A OR project = B) AND labels = x")
    assert isinstance(query.where, And)
    assert isinstance(query.where.left, Or)


def test_not_wraps_the_following_clause() -> None:
    query = jql.parse("NOT labels = x AND project = A")
    assert isinstance(query.where, And)
    assert isinstance(query.where.left, Not)


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("a = 1", "="),
        ("a != 1", "!="),
        ("a > 1", ">"),
        ("a >= 1", ">="),
        ("a < 1", "<"),
        ("a <= 1", "<="),
        ("a IN (1, 2)", "in"),
        ("a not in (1)", "not in"),
        ("a IS EMPTY", "is"),
        ("a IS NOT NULL", "is not"),
    ],
)
def test_each_operator_parses(text: str, operator: str) -> None:
    where = jql.parse(text).where
    assert isinstance(where, Clause)
    assert where.operator == operator


def test_order_by_reads_fields_and_directions() -> None:
    query = jql.parse("labels = x ORDER BY updated DESC, key")
    assert [(s.field, s.descending) for s in query.order_by] == [
        ("updated", True),
        ("key", False),
    ]


def test_quoted_values_and_empty_are_operands() -> None:
    where = jql.parse('summary IN ("a b", EMPTY)').where
    assert isinstance(where, Clause)
    assert where.operands == (Value("a b", quoted=True), Empty())


@pytest.mark.parametrize(
    "text",
    [
        "project = ",
        "project SEC",
        "(project = SEC",
        "project = SEC AND",
        "a = 'x",
        "project = SEC foo",
        "ORDER project",
    ],
)
def test_bad_syntax_is_an_error(text: str) -> None:
    with pytest.raises(jql.JqlError, match="Error in the JQL Query"):
        jql.parse(text)


def test_unknown_field_is_an_error() -> None:
    with pytest.raises(jql.JqlError, match="Field 'colour' does not exist"):
        matches("colour = red", doc())


def test_unknown_value_is_an_error() -> None:
    with pytest.raises(jql.JqlError, match="The value 'NOPE' does not exist"):
        matches("project = NOPE", doc())


def test_range_operator_on_labels_is_an_error() -> None:
    with pytest.raises(jql.JqlError, match="operator '>' is not supported"):
        matches("labels > a", doc())


def test_bad_date_is_an_error() -> None:
    with pytest.raises(jql.JqlError, match="Date value 'yesterday'"):
        matches("updated > yesterday", doc())


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(jql.JqlError, match="SEC-9"):
        matches("key = SEC-9", doc())


def test_equality_and_lists_match_case_insensitively() -> None:
    assert matches("project = sec AND status IN ('To Do', Done)", doc())
    assert not matches("project != SEC", doc())
    assert matches("project NOT IN (MOBILE)", doc())


def test_not_equal_never_matches_empty_labels() -> None:
    assert not matches("labels != x", doc())
    assert matches("labels != x", doc(labels=frozenset({"y"})))
    assert matches("labels IS EMPTY", doc())
    assert matches("labels IS NOT EMPTY", doc(labels=frozenset({"y"})))


def test_key_ranges_compare_numbers_within_a_project() -> None:
    assert matches("key >= SEC-1 AND key < SEC-2", doc())
    assert not matches("key > SEC-1", doc())


def test_date_literal_is_read_in_the_users_zone() -> None:
    # 12:00 UTC is 13:00 in Brussels and 08:00 in New York (winter offsets).
    assert matches('created >= "2026/03/10 13:00"', doc())
    assert not matches('created > "2026/03/10 13:00"', doc())
    assert not matches('created >= "2026-03-10 13:00"', doc(), "UTC")
    assert matches('created = "2026-03-10 08:00"', doc(), "America/New_York")


def test_updated_compares_at_minute_granularity() -> None:
    stamp = datetime(2026, 3, 10, 12, 0, 59, tzinfo=UTC)
    assert matches('updated = "2026-03-10 13:00"', doc(updated=stamp))
    assert matches('updated <= "2026-03-10 13:00"', doc(updated=stamp))


def test_relative_dates_count_back_from_now() -> None:
    old = datetime(2026, 3, 10, 11, 50, tzinfo=UTC)
    assert matches("updated < -5m", doc(updated=old))
    assert not matches("updated > -5m", doc(updated=old))
    assert matches("updated > -1d", doc(updated=old))
    assert matches("updated > '-1w 2d'", doc(updated=old))


def test_order_by_sorts_documents() -> None:
    query = jql.parse("ORDER BY created DESC")
    _, order = jql_eval.compile_query(query, context())
    first = doc(_sort={"id": 1, "created": 1.0})
    second = doc(_sort={"id": 2, "created": 2.0})
    assert order([first, second]) == [second, first]
