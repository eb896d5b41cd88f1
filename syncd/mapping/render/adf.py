"""The document tree as Atlassian Document Format (Jira Cloud).

Only the node types in ``NODE_TYPES`` and the marks in ``MARK_TYPES`` are
ever produced; in particular no ``mention``, ``emoji``, ``inlineCard`` or
``media`` node, so "@alice" or ":smile:" in a report stays text. The tree is
already fitted to ADF's nesting rules by ``tree.fit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from syncd.mapping.render.tree import (
    Block,
    Blockquote,
    BulletList,
    CodeBlock,
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
)

AdfNode = dict[str, Any]

NODE_TYPES = frozenset(
    [
        "doc",
        "paragraph",
        "heading",
        "text",
        "bulletList",
        "orderedList",
        "listItem",
        "codeBlock",
        "blockquote",
        "rule",
        "table",
        "tableRow",
        "tableHeader",
        "tableCell",
        "hardBreak",
    ]
)
MARK_TYPES = frozenset({"strong", "em", "code", "link", "strike"})
_MARK_ORDER = (Mark.STRONG, Mark.EM, Mark.STRIKE, Mark.CODE)


def to_adf(blocks: Iterable[Block]) -> AdfNode:
    """An ADF document holding ``blocks``."""
    return {"version": 1, "type": "doc", "content": [block_node(b) for b in blocks]}


def block_node(block: Block) -> AdfNode:
    """One top-level ADF node (exposed to measure blocks one by one)."""
    match block:
        case Paragraph(inlines):
            return {"type": "paragraph", "content": _inline_nodes(inlines)}
        case Heading(level, inlines):
            return {
                "type": "heading",
                "attrs": {"level": min(max(level, 1), 6)},
                "content": _inline_nodes(inlines),
            }
        case CodeBlock(text, language):
            content = [{"type": "text", "text": text}] if text else []
            node: AdfNode = {"type": "codeBlock", "content": content}
            if language:
                node["attrs"] = {"language": language}
            return node
        case BulletList(items):
            return {"type": "bulletList", "content": _items(items)}
        case OrderedList(items):
            return {"type": "orderedList", "content": _items(items)}
        case Blockquote(blocks):
            return {"type": "blockquote", "content": [block_node(b) for b in blocks]}
        case Rule():
            return {"type": "rule"}
        case Table(rows):
            return {
                "type": "table",
                "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
                "content": [_row(row) for row in rows],
            }
    raise TypeError(type(block).__name__)


def _items(items: Sequence[ListItem]) -> list[AdfNode]:
    return [
        {"type": "listItem", "content": [block_node(b) for b in item.blocks]}
        for item in items
    ]


def _row(row: Sequence[TableCell]) -> AdfNode:
    return {
        "type": "tableRow",
        "content": [
            {
                "type": "tableHeader" if cell.header else "tableCell",
                "attrs": {},
                "content": [block_node(b) for b in cell.blocks],
            }
            for cell in row
        ],
    }


def _inline_nodes(inlines: Iterable[Inline]) -> list[AdfNode]:
    nodes: list[AdfNode] = []
    for inline in inlines:
        if isinstance(inline, HardBreak):
            nodes.append({"type": "hardBreak"})
        elif inline.text:
            nodes.append(_text_node(inline))
    return nodes


def _text_node(text: Text) -> AdfNode:
    # ADF lets the code mark combine with a link only.
    marks = {Mark.CODE} if Mark.CODE in text.marks else text.marks
    mark_nodes: list[AdfNode] = [{"type": str(m)} for m in _MARK_ORDER if m in marks]
    if text.href:
        mark_nodes.append({"type": "link", "attrs": {"href": text.href}})
    node: AdfNode = {"type": "text", "text": text.text}
    if mark_nodes:
        node["marks"] = mark_nodes
    return node
