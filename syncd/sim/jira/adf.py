"""Just enough Atlassian Document Format to validate, measure and convert.

Length is measured on the serialised JSON (compact separators) of a
document, because that is what Jira stores and what its 32,767 limit
counts; a wiki string is measured by its own length.
"""

from __future__ import annotations

import json
from typing import Any

RichText = str | dict[str, Any]
TEXT_LIMIT = 32_767


def is_document(value: object) -> bool:
    """Whether `value` is a structurally valid ADF `doc` node."""
    if not isinstance(value, dict) or value.get("type") != "doc":
        return False
    if value.get("version") != 1 or not isinstance(value.get("content"), list):
        return False
    return all(_is_node(child) for child in value["content"])


def _is_node(node: object) -> bool:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return False
    if node["type"] == "text" and not isinstance(node.get("text"), str):
        return False
    content = node.get("content", [])
    return isinstance(content, list) and all(_is_node(c) for c in content)


def stored_length(value: RichText) -> int:
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def from_text(text: str) -> dict[str, Any]:
    """Wrap wiki/plain text as ADF: one paragraph per line, as Cloud's v2 does."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        if line
        else {"type": "paragraph", "content": []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def to_text(document: dict[str, Any]) -> str:
    """Flatten ADF to text, block nodes on their own lines."""
    return "\n".join(_block_text(node) for node in document.get("content", []))


def _block_text(node: dict[str, Any]) -> str:
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    children = node.get("content", [])
    inline = all(c.get("type") in ("text", "hardBreak") for c in children)
    separator = "" if inline else "\n"
    return separator.join(_block_text(c) for c in children)


def render(value: RichText | None, version: str) -> RichText | None:
    """Show stored rich text as API `version` does: ADF on v3, a string on v2."""
    if value is None:
        return None
    if version == "3":
        return value if isinstance(value, dict) else from_text(value)
    return value if isinstance(value, str) else to_text(value)
