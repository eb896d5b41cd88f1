"""What JQL clauses mean: field names, value checks, dates and matching.

Documents are what the search index holds per issue (see `search`):
alias fields are sets of lowercased names/ids, dates are aware datetimes
(compared at minute granularity, as JQL does), and `_sort` carries one
sortable value per field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from syncd.sim.jira.jql import (
    And,
    Clause,
    Empty,
    Function,
    JqlError,
    Node,
    Not,
    Operand,
    Or,
    Query,
    Value,
)

Document = dict[str, Any]
Predicate = Callable[[Document], bool]

FIELDS = {
    "project": "project",
    "key": "issuekey",
    "issuekey": "issuekey",
    "issue": "issuekey",
    "id": "id",
    "labels": "labels",
    "status": "status",
    "statuscategory": "statuscategory",
    "category": "statuscategory",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
    "resolution": "resolution",
    "resolved": "resolved",
    "resolutiondate": "resolved",
    "issuetype": "issuetype",
    "type": "issuetype",
    "priority": "priority",
}
ALIAS_FIELDS = {"project", "status", "statuscategory", "resolution", "issuetype"}
SET_FIELDS = ALIAS_FIELDS | {"priority", "labels"}
DATE_FIELDS = {"created", "updated", "resolved"}
ORDERED_FIELDS = DATE_FIELDS | {"issuekey", "id"}
_EQUALITY = {"=", "!=", "in", "not in", "is", "is not"}
_RANGE = {">", ">=", "<", "<="}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_UNITS = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
_INVALID_DATE = (
    "Date value '{}' for field '{}' is invalid. Valid formats include: "
    "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a "
    "period format e.g. '-5d', '4w 2d'."
)


@dataclass(frozen=True)
class SearchContext:
    """The searching user's zone and clock, and the site's known values."""

    time_zone: tzinfo
    now: datetime
    known: dict[str, set[str]]
    key_exists: Callable[[str], bool]


def canonical_field(name: str) -> str:
    field = FIELDS.get(name.lower())
    if field is None:
        raise JqlError(
            f"Field '{name}' does not exist or you do not have permission to view it."
        )
    return field


def compile_query(
    query: Query, ctx: SearchContext
) -> tuple[Predicate, Callable[[list[Document]], list[Document]]]:
    """Check every clause against `ctx` and return (filter, sorter)."""
    predicate = _compile(query.where, ctx) if query.where else (lambda _doc: True)
    sorts = [(canonical_field(s.field), s.descending) for s in query.order_by]

    def sort(documents: list[Document]) -> list[Document]:
        ordered = sorted(documents, key=lambda d: d["_sort"]["id"])
        for field, descending in reversed(sorts):
            ordered.sort(key=_sort_key(field), reverse=descending)
        return ordered

    return predicate, sort


def _sort_key(field: str) -> Callable[[Document], Any]:
    return lambda doc: doc["_sort"][field]


def _compile(node: Node, ctx: SearchContext) -> Predicate:
    if isinstance(node, And):
        left, right = _compile(node.left, ctx), _compile(node.right, ctx)
        return lambda doc: left(doc) and right(doc)
    if isinstance(node, Or):
        left, right = _compile(node.left, ctx), _compile(node.right, ctx)
        return lambda doc: left(doc) or right(doc)
    if isinstance(node, Not):
        child = _compile(node.child, ctx)
        return lambda doc: not child(doc)
    return _clause(node, ctx)


def _clause(clause: Clause, ctx: SearchContext) -> Predicate:
    field = canonical_field(clause.field)
    operator = clause.operator
    if operator in ("~", "!~") or (operator in _RANGE and field not in ORDERED_FIELDS):
        raise JqlError(
            f"The operator '{operator}' is not supported by the '{clause.field}' field."
        )
    empties = [isinstance(o, Empty) for o in clause.operands]
    if operator in ("is", "is not") and not all(empties):
        raise JqlError(f"The operator '{operator.upper()}' only supports EMPTY or NULL")
    if operator in ("is", "is not") or (operator in ("=", "!=") and all(empties)):
        wants_empty = operator in ("is", "=")
        return lambda doc: _is_empty(doc[field]) == wants_empty
    if any(empties):
        raise JqlError(f"The operator '{operator}' does not support EMPTY here.")
    if field in DATE_FIELDS:
        return _date_clause(field, clause, ctx)
    if field in ("issuekey", "id"):
        return _key_clause(field, clause, ctx)
    return _set_clause(field, clause, ctx)


def _is_empty(value: Any) -> bool:
    return value is None or value == frozenset()


def _text(operand: Operand, field: str) -> str:
    if isinstance(operand, Function):
        raise JqlError(f"Unable to find JQL function '{operand.name}()'.")
    assert isinstance(operand, Value)
    return operand.text


def _set_clause(field: str, clause: Clause, ctx: SearchContext) -> Predicate:
    wanted = {_text(o, clause.field).lower() for o in clause.operands}
    if field == "resolution" and "unresolved" in wanted:
        wanted.discard("unresolved")
        match_empty = True
    else:
        match_empty = False
    known = ctx.known.get(field)
    for value in wanted:
        if known is not None and value not in known:
            original = next(
                o.text
                for o in clause.operands
                if isinstance(o, Value) and o.text.lower() == value
            )
            raise JqlError(
                f"The value '{original}' does not exist for the field '{clause.field}'."
            )
    positive = clause.operator in ("=", "in")

    def predicate(doc: Document) -> bool:
        values: frozenset[str] = doc[field] or frozenset()
        if not values:
            return match_empty if positive else False
        return bool(values & wanted) == positive

    return predicate


def _key_clause(field: str, clause: Clause, ctx: SearchContext) -> Predicate:
    targets = [_key_value(field, _text(o, clause.field), ctx) for o in clause.operands]
    operator = clause.operator
    if operator in _RANGE:
        target = targets[0]
        return lambda doc: any(
            _compare(k, operator, target)
            for k in doc["_keys"]
            if type(k) is type(target) and _same_project(k, target)
        )
    positive = operator in ("=", "in")
    return lambda doc: bool(set(doc["_keys"]) & set(targets)) == positive


def _same_project(left: Any, right: Any) -> bool:
    return not isinstance(left, tuple) or left[0] == right[0]


def _key_value(field: str, text: str, ctx: SearchContext) -> int | tuple[str, int]:
    if text.isdigit():
        return int(text)
    project, _, number = text.rpartition("-")
    if field == "id" or not project or not number.isdigit():
        raise JqlError(f"The issue key '{text}' for field '{field}' is invalid.")
    if not ctx.key_exists(text.upper()):
        raise JqlError(f"An issue with key '{text}' does not exist for field 'key'.")
    return (project.lower(), int(number))


def _compare(left: Any, operator: str, right: Any) -> bool:
    if operator == ">":
        return bool(left > right)
    if operator == ">=":
        return bool(left >= right)
    if operator == "<":
        return bool(left < right)
    return bool(left <= right)


def _date_clause(field: str, clause: Clause, ctx: SearchContext) -> Predicate:
    moments = [_minute(parse_date(o, clause.field, ctx)) for o in clause.operands]
    operator = clause.operator

    def predicate(doc: Document) -> bool:
        value: datetime | None = doc[field]
        if value is None:
            return False
        stamp = _minute(value)
        if operator in _RANGE:
            return _compare(stamp, operator, moments[0])
        return (stamp in moments) == (operator in ("=", "in"))

    return predicate


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def parse_date(operand: Operand, field: str, ctx: SearchContext) -> datetime:
    """A JQL date operand as an aware datetime; zone-less text is the user's."""
    local_now = ctx.now.astimezone(ctx.time_zone)
    if isinstance(operand, Function):
        name = operand.name.lower()
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        functions = {
            "now": local_now,
            "startofday": midnight,
            "endofday": midnight + timedelta(days=1) - timedelta(milliseconds=1),
        }
        if name not in functions:
            raise JqlError(f"Unable to find JQL function '{operand.name}()'.")
        return functions[name]
    text = _text(operand, field).strip()
    relative = _relative_minutes(text)
    if relative is not None:
        return local_now + timedelta(minutes=relative)
    for layout in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, layout)
        except ValueError:
            continue
        return parsed.replace(tzinfo=ctx.time_zone)
    raise JqlError(_INVALID_DATE.format(text, field))


def _relative_minutes(text: str) -> int | None:
    """Parse periods like ``-5m``, ``4w 2d`` or ``-1d2h`` into minutes."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").replace(" ", "")
    total, digits = 0, ""
    for char in body:
        if char.isdigit():
            digits += char
        elif char.lower() in _UNITS and digits and char != "M":
            total += int(digits) * _UNITS[char.lower()]
            digits = ""
        else:
            return None
    if digits or not body:
        return None
    return sign * total
