"""JQL lexer and recursive-descent parser for the subset syncd uses.

Grammar (keywords case-insensitive; AND binds tighter than OR):

    query    := [or_expr] [ORDER BY sort ("," sort)*] EOF
    or_expr  := and_expr (OR and_expr)*
    and_expr := not_expr (AND not_expr)*
    not_expr := NOT not_expr | "(" or_expr ")" | clause
    clause   := field operator operand
    operator := = | != | > | >= | < | <= | ~ | !~ | IN | NOT IN | IS | IS NOT
    operand  := value | EMPTY | NULL | function "(" ")" | "(" value ("," value)* ")"
    sort     := field [ASC | DESC]

Field meaning and value checks live in `jql_eval`; this module only knows
the shape of a query. Errors carry Jira's wording and position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_SPECIAL = set("()=!<>,~\"'")
_OPERATORS = ("!=", ">=", "<=", "!~", "=", ">", "<", "~")
_VALID_OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', "
    "'IN', 'NOT IN', 'IS' and 'IS NOT'."
)
_RESERVED = {"and", "or", "not", "in", "is", "empty", "null", "order", "by"}


class JqlError(ValueError):
    """A query Jira would refuse with 400; the message is Jira's."""


TokenKind = Literal["word", "string", "op", "lparen", "rparen", "comma", "eof"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    position: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Empty:
    pass


@dataclass(frozen=True)
class Function:
    name: str


Operand = Value | Empty | Function


@dataclass(frozen=True)
class Clause:
    field: str
    operator: str
    operands: tuple[Operand, ...]
    is_list: bool = False


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    child: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[Sort, ...]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "\"'":
            end = _string_end(text, index)
            raw = text[index + 1 : end].replace(f"\\{char}", char)
            tokens.append(Token("string", raw, index + 1))
            index = end + 1
        elif char in "(),":
            kinds: dict[str, TokenKind] = {"(": "lparen", ")": "rparen", ",": "comma"}
            tokens.append(Token(kinds[char], char, index + 1))
            index += 1
        elif char in "=!<>~":
            operator = next((o for o in _OPERATORS if text.startswith(o, index)), "")
            if not operator:
                raise JqlError(_error(f"Unexpected character '{char}'", index + 1))
            tokens.append(Token("op", operator, index + 1))
            index += len(operator)
        else:
            start = index
            while index < len(text) and not (
                text[index].isspace() or text[index] in _SPECIAL
            ):
                index += 1
            tokens.append(Token("word", text[start:index], start + 1))
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


def _string_end(text: str, start: int) -> int:
    quote, index = text[start], start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            return index
        index += 1
    raise JqlError(
        _error(
            f"The quoted string '{text[start + 1 :]}' has not been completed", start + 1
        )
    )


def _error(message: str, position: int) -> str:
    return f"Error in the JQL Query: {message}. (line 1, character {position})"


def parse(text: str) -> Query:
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._index = 0

    @property
    def _current(self) -> Token:
        return self._tokens[self._index]

    def _at(self, kind: TokenKind) -> bool:
        return self._current.kind == kind

    def _advance(self) -> Token:
        token = self._current
        self._index += 1
        return token

    def _fail(self, expected: str, hint: str = "") -> JqlError:
        token = self._current
        if token.kind == "eof":
            return JqlError(
                f"Error in the JQL Query: Expecting {expected} before the end of the "
                "query."
            )
        got = f"Expecting {expected} but got '{token.text}'"
        return JqlError(_error(got + (f". {hint}" if hint else ""), token.position))

    def query(self) -> Query:
        where = None
        if not self._at("eof") and not self._current.is_keyword("order"):
            where = self._or()
        order = self._order_by() if self._current.is_keyword("order") else ()
        if not self._at("eof"):
            raise self._fail("either 'OR' or 'AND'")
        return Query(where, order)

    def _order_by(self) -> tuple[Sort, ...]:
        self._advance()
        if not self._current.is_keyword("by"):
            raise self._fail("'by'")
        self._advance()
        sorts = [self._sort()]
        while self._at("comma"):
            self._advance()
            sorts.append(self._sort())
        return tuple(sorts)

    def _sort(self) -> Sort:
        field = self._field()
        descending = False
        if self._current.is_keyword("asc", "desc"):
            descending = self._advance().text.lower() == "desc"
        return Sort(field, descending)

    def _or(self) -> Node:
        node = self._and()
        while self._current.is_keyword("or"):
            self._advance()
            node = Or(node, self._and())
        return node

    def _and(self) -> Node:
        node = self._not()
        while self._current.is_keyword("and"):
            self._advance()
            node = And(node, self._not())
        return node

    def _not(self) -> Node:
        if self._current.is_keyword("not"):
            self._advance()
            return Not(self._not())
        if self._at("lparen"):
            self._advance()
            node = self._or()
            if not self._at("rparen"):
                raise self._fail("')'")
            self._advance()
            return node
        return self._clause()

    def _field(self) -> str:
        token = self._current
        if token.kind == "string" or (
            token.kind == "word" and token.text.lower() not in _RESERVED
        ):
            self._advance()
            return token.text
        raise self._fail("a field name")

    def _clause(self) -> Clause:
        field = self._field()
        operator = self._operator()
        if operator in ("in", "not in"):
            return Clause(field, operator, self._list(), is_list=True)
        return Clause(field, operator, (self._operand(),))

    def _operator(self) -> str:
        token = self._current
        if token.kind == "op":
            self._advance()
            return token.text
        if token.is_keyword("in"):
            self._advance()
            return "in"
        if token.is_keyword("is", "not"):
            first = self._advance().text.lower()
            if first == "is" and not self._current.is_keyword("not"):
                return "is"
            if self._current.is_keyword("not" if first == "is" else "in"):
                self._advance()
                return "is not" if first == "is" else "not in"
        raise self._fail("operator", _VALID_OPERATORS)

    def _list(self) -> tuple[Operand, ...]:
        if not self._at("lparen"):
            return (self._operand(),)
        self._advance()
        values = [self._operand()]
        while self._at("comma"):
            self._advance()
            values.append(self._operand())
        if not self._at("rparen"):
            raise self._fail("')'")
        self._advance()
        return tuple(values)

    def _operand(self) -> Operand:
        token = self._current
        hint = (
            f"You must surround '{token.text}' in quotation marks to use it as a value."
        )
        if token.kind == "string":
            self._advance()
            return Value(token.text, quoted=True)
        if token.kind != "word" or token.text.lower() in _RESERVED - {"empty", "null"}:
            raise self._fail("either a value, list or function", hint)
        self._advance()
        if token.text.lower() in ("empty", "null"):
            return Empty()
        if self._at("lparen"):
            self._advance()
            if not self._at("rparen"):
                raise self._fail("')'")
            self._advance()
            return Function(token.text)
        return Value(token.text)
