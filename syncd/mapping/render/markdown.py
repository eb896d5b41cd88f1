"""Researcher Markdown to the document tree.

markdown-it-py renders CommonMark (plus tables and strikethrough) to HTML
with raw HTML disabled, so any markup the researcher typed comes out escaped
as text; that HTML then goes through the one HTML path in ``html``, so there
is a single place where untrusted structure is judged. markdown-it drops
what lies deeper than its nesting limit, so such input is kept as plain text.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt

from syncd.mapping.render.html import parse_html
from syncd.mapping.render.plain import parse_plain
from syncd.mapping.render.tree import Block

MAX_NESTING = 20


@cache
def _parser() -> MarkdownIt:
    options = {"html": False, "linkify": False, "maxNesting": MAX_NESTING}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough"])


def parse_markdown(source: str) -> tuple[Block, ...]:
    """Parse Markdown into blocks fit for a document."""
    parser = _parser()
    env: dict[str, object] = {}
    tokens = parser.parse(source, env)
    if any(token.level >= MAX_NESTING - 1 for token in tokens):
        return parse_plain(source)
    return parse_html(parser.renderer.render(tokens, parser.options, env))
