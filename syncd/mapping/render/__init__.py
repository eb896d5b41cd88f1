"""Safe rendering of untrusted researcher text for Jira.

``parse_rich`` turns HTML (or, when a field holds no HTML element, Markdown)
into the small tree of ``tree``; ``to_adf`` and ``to_wiki`` emit it for Jira
Cloud and Data Center. Nothing the researcher wrote reaches the output as
markup: only the tree's allow-listed structure does.
"""

from __future__ import annotations

from syncd.mapping.render.adf import to_adf
from syncd.mapping.render.html import has_elements, parse_html
from syncd.mapping.render.markdown import parse_markdown
from syncd.mapping.render.tree import Block
from syncd.mapping.render.wiki import to_wiki

__all__ = ["parse_rich", "to_adf", "to_wiki"]


def parse_rich(source: str | None) -> tuple[Block, ...]:
    """Blocks of a researcher field: HTML if it has elements, else Markdown."""
    if source is None or not source.strip():
        return ()
    if has_elements(source):
        return parse_html(source)
    return parse_markdown(source)
