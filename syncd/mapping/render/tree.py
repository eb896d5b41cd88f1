"""The small document tree between untrusted input and Jira output.

Parsers (``html``, ``markdown``) build it; emitters (``adf``, ``wiki``) read
it. It holds only what both outputs can express safely: no raw markup, no
attributes except a checked link target and a code language. ``fit`` bends a
block list to the nesting that ADF allows, so both emitters see the same
shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Mark(StrEnum):
    STRONG = "strong"
    EM = "em"
    CODE = "code"
    STRIKE = "strike"


@dataclass(frozen=True)
class Text:
    text: str
    marks: frozenset[Mark] = frozenset()
    href: str | None = None
    """An http(s) URL already checked by ``safe_url``."""


@dataclass(frozen=True)
class HardBreak:
    pass


Inline = Text | HardBreak


@dataclass(frozen=True)
class Paragraph:
    inlines: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class Heading:
    level: int
    inlines: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class CodeBlock:
    text: str
    language: str | None = None


@dataclass(frozen=True)
class ListItem:
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class BulletList:
    items: tuple[ListItem, ...] = ()


@dataclass(frozen=True)
class OrderedList:
    items: tuple[ListItem, ...] = ()


@dataclass(frozen=True)
class Blockquote:
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class TableCell:
    header: bool = False
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[TableCell, ...], ...] = field(default=())


Block = (
    Paragraph
    | Heading
    | CodeBlock
    | BulletList
    | OrderedList
    | Blockquote
    | Rule
    | Table
)


class Container(StrEnum):
    """Where a block list lives; each allows different children in ADF."""

    DOC = "doc"
    LIST_ITEM = "listItem"
    QUOTE = "blockquote"
    CELL = "tableCell"


def plain_text(blocks: Iterable[Block]) -> str:
    """The text of blocks, one space between pieces: for flattening."""
    return " ".join(piece for block in blocks if (piece := _block_text(block)))


def _block_text(block: Block) -> str:
    match block:
        case Paragraph(inlines) | Heading(_, inlines):
            return inline_text(inlines)
        case CodeBlock(text):
            return " ".join(text.split())
        case BulletList(items) | OrderedList(items):
            return plain_text(b for item in items for b in item.blocks)
        case Blockquote(blocks):
            return plain_text(blocks)
        case Table(rows):
            return " ".join(_row_text(row) for row in rows)
    return ""


def inline_text(inlines: Iterable[Inline]) -> str:
    return " ".join(
        "".join(i.text if isinstance(i, Text) else " " for i in inlines).split()
    )


def _row_text(row: Sequence[TableCell]) -> str:
    return " | ".join(plain_text(cell.blocks) for cell in row)


def fit(blocks: Sequence[Block], container: Container) -> tuple[Block, ...]:
    """Rewrite blocks that ``container`` may not hold into ones it may.

    Headings become bold paragraphs, nested quotes are unwrapped, tables
    become one paragraph per row, rules are dropped. A list item starts with
    a paragraph or code block and a cell is never empty, as ADF requires.
    """
    out: list[Block] = []
    for block in blocks:
        out.extend(_fit_one(block, container))
    if container is Container.LIST_ITEM and (
        not out or not isinstance(out[0], Paragraph | CodeBlock)
    ):
        out.insert(0, Paragraph())
    if container is Container.CELL and not out:
        out.append(Paragraph())
    return tuple(out)


def _fit_one(block: Block, container: Container) -> list[Block]:
    nested = container in (Container.LIST_ITEM, Container.QUOTE)
    match block:
        case Heading(_, inlines) if nested:
            return [Paragraph(tuple(_bold(i) for i in inlines))]
        case Blockquote(blocks) if nested:
            return list(fit(blocks, container))
        case Blockquote(blocks):
            return [Blockquote(fit(blocks, Container.QUOTE))]
        case Rule() if nested:
            return []
        case Table(rows) if container is not Container.DOC:
            return [Paragraph((Text(_row_text(row)),)) for row in rows]
        case Table(rows):
            return [Table(tuple(_fit_row(row) for row in rows))]
        case BulletList(items):
            return [BulletList(tuple(_fit_item(item) for item in items))]
        case OrderedList(items):
            return [OrderedList(tuple(_fit_item(item) for item in items))]
    return [block]


def _fit_item(item: ListItem) -> ListItem:
    return ListItem(fit(item.blocks, Container.LIST_ITEM))


def _fit_row(row: Sequence[TableCell]) -> tuple[TableCell, ...]:
    return tuple(replace(cell, blocks=fit(cell.blocks, Container.CELL)) for cell in row)


def _bold(inline: Inline) -> Inline:
    if isinstance(inline, Text) and Mark.CODE not in inline.marks:
        return replace(inline, marks=inline.marks | {Mark.STRONG})
    return inline
