"""Researcher HTML to the document tree, by an HTML5 parser.

Lexbor (through selectolax) parses the way browsers do, so malformed or
hostile markup yields the same tree a browser would build; this module then
keeps only what ``tree`` can hold. Unknown elements are unwrapped to their
text, scripts and embedded documents are dropped with their content, and
links survive only with an http(s) target. Nesting deeper than ``MAX_DEPTH``
is flattened to text, so no input can exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from selectolax.lexbor import LexborHTMLParser, LexborNode

from syncd.mapping.render.text import clean_text, safe_url
from syncd.mapping.render.tree import (
    Block,
    Blockquote,
    BulletList,
    CodeBlock,
    Container,
    HardBreak,
    Heading,
    Inline,
    ListItem,
    Mark,
    OrderedList,
    Paragraph,
    Rule,
    Table,
    TableCell,
    Text,
    fit,
    plain_text,
)

MAX_DEPTH = 32
"""Element nesting beyond which content is kept as plain text."""

_WHITESPACE = re.compile(r"[ \t\n\f]+")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_DROPPED = frozenset(
    [
        "script",
        "style",
        "template",
        "noscript",
        "noembed",
        "noframes",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "svg",
        "math",
        "select",
        "textarea",
        "audio",
        "video",
        "canvas",
    ]
)
_MARKS = {
    "strong": Mark.STRONG,
    "b": Mark.STRONG,
    "em": Mark.EM,
    "i": Mark.EM,
    "code": Mark.CODE,
    "kbd": Mark.CODE,
    "samp": Mark.CODE,
    "tt": Mark.CODE,
    "s": Mark.STRIKE,
    "strike": Mark.STRIKE,
    "del": Mark.STRIKE,
}
_BOUNDARIES = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "address",
        "details",
        "summary",
        "center",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "legend",
        "li",
        "caption",
        "body",
        "html",
    ]
)


@dataclass(frozen=True)
class _Style:
    marks: frozenset[Mark] = frozenset()
    href: str | None = None


class _Builder:
    """Collects blocks, gathering loose inline content into paragraphs."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.inlines: list[Inline] = []

    def text(self, text: str, style: _Style) -> None:
        text = _WHITESPACE.sub(" ", clean_text(text))
        last = self.inlines[-1] if self.inlines else None
        if last is None or isinstance(last, HardBreak) or last.text.endswith(" "):
            text = text.lstrip(" ")
        if not text:
            return
        if isinstance(last, Text) and (last.marks, last.href) == (
            style.marks,
            style.href,
        ):
            self.inlines[-1] = replace(last, text=last.text + text)
        else:
            self.inlines.append(Text(text, style.marks, style.href))

    def hard_break(self) -> None:
        self._trim_end()
        self.inlines.append(HardBreak())

    def block(self, block: Block) -> None:
        self.flush()
        self.blocks.append(block)

    def flush(self) -> None:
        while self.inlines and isinstance(self.inlines[-1], HardBreak):
            self.inlines.pop()
        self._trim_end()
        if self.inlines:
            self.blocks.append(Paragraph(tuple(self.inlines)))
        self.inlines = []

    def finish(self) -> list[Block]:
        self.flush()
        return self.blocks

    def _trim_end(self) -> None:
        if self.inlines and isinstance(last := self.inlines[-1], Text):
            trimmed = last.text.rstrip(" ")
            if trimmed:
                self.inlines[-1] = replace(last, text=trimmed)
            else:
                self.inlines.pop()


def parse_html(source: str) -> tuple[Block, ...]:
    """Parse an HTML fragment into blocks fit for a document."""
    body = LexborHTMLParser(source).body
    if body is None:
        return ()
    return fit(_children(body, _Style(), 0), Container.DOC)


def has_elements(source: str) -> bool:
    """Whether ``source`` holds any HTML element (else it is plain text)."""
    parser = LexborHTMLParser(source)
    return any(
        part is not None and bool(_element_children(part))
        for part in (parser.head, parser.body)
    )


def _children(node: LexborNode, style: _Style, depth: int) -> list[Block]:
    builder = _Builder()
    _walk_children(node, builder, style, depth)
    return builder.finish()


def _walk_children(
    node: LexborNode, builder: _Builder, style: _Style, depth: int
) -> None:
    child = node.child
    while child is not None:
        _walk(child, builder, style, depth + 1)
        child = child.next


def _walk(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    if node.is_text_node:
        builder.text(node.text_content or "", style)
        return
    tag = node.tag
    if not node.is_element_node or tag is None or tag in _DROPPED:
        return
    if depth > MAX_DEPTH:
        builder.text(node.text(deep=True, separator=" "), style)
        return

    if tag in _MARKS:
        marked = replace(style, marks=style.marks | {_MARKS[tag]})
        _walk_children(node, builder, marked, depth)
    elif tag in _BOUNDARIES:
        builder.flush()
        _walk_children(node, builder, style, depth)
        builder.flush()
    else:
        handler = _HANDLERS.get(tag, _unwrap)
        handler(node, builder, style, depth)


def _unwrap(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    _walk_children(node, builder, style, depth)


def _link(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    href = safe_url(node.attributes.get("href"))
    _walk_children(node, builder, replace(style, href=href), depth)


def _image(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    src = safe_url(node.attributes.get("src"))
    alt = " ".join((node.attributes.get("alt") or "").split())
    builder.text(alt or src or "image", replace(style, href=src))


def _line_break(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    builder.hard_break()


def _rule(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    builder.block(Rule())


def _heading(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    inlines = _inlines_of(_children(node, style, depth))
    if inlines:
        builder.block(Heading(int((node.tag or "h2")[1]), inlines))


def _quote(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    blocks = _children(node, style, depth)
    if blocks:
        builder.block(Blockquote(tuple(blocks)))


def _pre(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    text = clean_text(node.text(deep=True, separator=""))
    text = text.removesuffix("\n")
    if text.strip():
        builder.block(CodeBlock(text, _language(node)))


def _list(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    items: list[ListItem] = []
    child = node.child
    while child is not None:
        if child.tag == "li":
            blocks = _children(child, style, depth + 1)
        else:
            loose = _Builder()
            _walk(child, loose, style, depth + 1)
            blocks = loose.finish()
        if blocks:
            items.append(ListItem(tuple(blocks)))
        child = child.next
    if items:
        kind = OrderedList if node.tag == "ol" else BulletList
        builder.block(kind(tuple(items)))


def _table(node: LexborNode, builder: _Builder, style: _Style, depth: int) -> None:
    rows: list[tuple[TableCell, ...]] = []
    for row in _rows(node):
        cells = tuple(
            TableCell(cell.tag == "th", tuple(_children(cell, style, depth + 2)))
            for cell in _element_children(row)
            if cell.tag in ("td", "th")
        )
        if cells:
            rows.append(cells)
    if not rows:
        return
    width = max(len(row) for row in rows)
    padded = tuple(row + (TableCell(),) * (width - len(row)) for row in rows)
    builder.block(Table(padded))


def _rows(table: LexborNode) -> list[LexborNode]:
    rows: list[LexborNode] = []
    for child in _element_children(table):
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in _element_children(child) if r.tag == "tr")
    return rows


def _element_children(node: LexborNode) -> list[LexborNode]:
    out: list[LexborNode] = []
    child = node.child
    while child is not None:
        if child.is_element_node:
            out.append(child)
        child = child.next
    return out


def _language(pre: LexborNode) -> str | None:
    candidates = [pre, *(c for c in _element_children(pre) if c.tag == "code")]
    for element in candidates:
        for token in (element.attributes.get("class") or "").split():
            for prefix in ("language-", "lang-"):
                name = token.removeprefix(prefix)
                if name != token and _LANGUAGE.fullmatch(name):
                    return name.lower()
    return None


def _inlines_of(blocks: list[Block]) -> tuple[Inline, ...]:
    """Blocks squeezed into one line of inline content (for headings)."""
    paragraphs = [block for block in blocks if isinstance(block, Paragraph)]
    if len(paragraphs) == len(blocks):
        inlines: list[Inline] = []
        for block in paragraphs:
            if inlines:
                inlines.append(Text(" "))
            inlines.extend(i for i in block.inlines if isinstance(i, Text))
        return tuple(inlines)
    text = plain_text(blocks)
    return (Text(text),) if text else ()


_Handler = Callable[[LexborNode, _Builder, _Style, int], None]
_HANDLERS: dict[str, _Handler] = {
    "a": _link,
    "img": _image,
    "br": _line_break,
    "hr": _rule,
    "blockquote": _quote,
    "pre": _pre,
    "ul": _list,
    "ol": _list,
    "table": _table,
    **{f"h{level}": _heading for level in range(1, 7)},
}
