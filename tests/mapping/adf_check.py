"""A walker that checks an ADF document against the allow-list and nesting."""

from __future__ import annotations

from typing import Any

from syncd.mapping.render.adf import MARK_TYPES, NODE_TYPES

_BLOCKS = {"paragraph", "bulletList", "orderedList", "codeBlock"}
ALLOWED_CHILDREN: dict[str, set[str]] = {
    "doc": _BLOCKS | {"heading", "blockquote", "rule", "table"},
    "paragraph": {"text", "hardBreak"},
    "heading": {"text", "hardBreak"},
    "bulletList": {"listItem"},
    "orderedList": {"listItem"},
    "listItem": _BLOCKS,
    "blockquote": _BLOCKS,
    "codeBlock": {"text"},
    "table": {"tableRow"},
    "tableRow": {"tableHeader", "tableCell"},
    "tableHeader": _BLOCKS | {"heading", "blockquote", "rule"},
    "tableCell": _BLOCKS | {"heading", "blockquote", "rule"},
}


def adf_problems(doc: dict[str, Any]) -> list[str]:
    """Every breach of the allow-list or of ADF's nesting, iteratively."""
    problems: list[str] = []
    if doc.get("version") != 1 or doc.get("type") != "doc":
        problems.append("root is not a version 1 doc")
    stack: list[dict[str, Any]] = [doc]
    while stack:
        node = stack.pop()
        kind = node.get("type")
        if kind not in NODE_TYPES:
            problems.append(f"node type {kind!r} not allowed")
            continue
        children = node.get("content", [])
        if kind == "text":
            problems += _text_problems(node)
        if kind == "listItem" and (
            not children or children[0]["type"] not in ("paragraph", "codeBlock")
        ):
            problems.append("listItem must start with a paragraph or code block")
        for child in children:
            if child.get("type") not in ALLOWED_CHILDREN.get(kind, set()):
                problems.append(f"{child.get('type')} inside {kind}")
            stack.append(child)
    return problems


def _text_problems(node: dict[str, Any]) -> list[str]:
    problems = [] if node.get("text") else ["empty text node"]
    marks = [mark["type"] for mark in node.get("marks", [])]
    problems += [f"mark {m!r} not allowed" for m in marks if m not in MARK_TYPES]
    if "code" in marks and set(marks) - {"code", "link"}:
        problems.append("code mark combined with another")
    for mark in node.get("marks", []):
        if mark["type"] == "link" and not mark["attrs"]["href"].startswith(
            ("http://", "https://")
        ):
            problems.append("link to a non-http URL")
    return problems
