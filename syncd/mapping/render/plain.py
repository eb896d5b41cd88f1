"""Plain text to the document tree: blank lines part paragraphs."""

from __future__ import annotations

from syncd.mapping.render.text import clean_text, one_line
from syncd.mapping.render.tree import HardBreak, Inline, Paragraph, Text


def parse_plain(text: str) -> tuple[Paragraph, ...]:
    """Paragraphs of ``text``; a single newline becomes a hard break."""
    paragraphs: list[Paragraph] = []
    for chunk in clean_text(text).split("\n\n"):
        inlines: list[Inline] = []
        for line in chunk.split("\n"):
            if not (words := one_line(line)):
                continue
            if inlines:
                inlines.append(HardBreak())
            inlines.append(Text(words))
        if inlines:
            paragraphs.append(Paragraph(tuple(inlines)))
    return tuple(paragraphs)
