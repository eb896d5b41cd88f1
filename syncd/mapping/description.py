"""The issue description: mapping sections around safely rendered fields.

A mapping describes the description as a list of sections (headings, text
and facts from templates; researcher fields by name). Template output is
plain text, never markup; researcher fields go through ``render``. The
result is kept within Jira's 32,767-character limit, measured on what is
sent (the ADF JSON for Cloud, the wiki string for Data Center), by cutting
at the end and adding a marker with a link to the full report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from syncd.intigriti.models import Submission
from syncd.jira.models import Flavour
from syncd.mapping.models import (
    FactsSection,
    FieldSection,
    HeadingSection,
    Section,
    TextSection,
)
from syncd.mapping.render import parse_rich, to_adf, to_wiki
from syncd.mapping.render.adf import block_node
from syncd.mapping.render.plain import parse_plain
from syncd.mapping.render.text import one_line, safe_url
from syncd.mapping.render.tree import (
    Block,
    BulletList,
    CodeBlock,
    Heading,
    Inline,
    ListItem,
    Mark,
    Paragraph,
    Rule,
    Text,
    plain_text,
)
from syncd.mapping.render.wiki import block_text

DESCRIPTION_LIMIT = 32_767
TRUNCATED = "Truncated to fit Jira's size limit. The full report is on Intigriti: "
TRUNCATED_NO_LINK = (
    "Truncated to fit Jira's size limit. The full report is on Intigriti."
)

Description = str | dict[str, Any]


def description_blocks(
    sections: Sequence[Section],
    submission: Submission,
    context: dict[str, Any],
    where: str,
) -> list[Block]:
    """The blocks of every section, in order."""
    blocks: list[Block] = []
    for index, section in enumerate(sections):
        blocks.extend(
            _section(section, submission, context, f"{where}.description[{index}]")
        )
    return blocks


def _section(
    section: Section, submission: Submission, context: dict[str, Any], where: str
) -> list[Block]:
    match section:
        case HeadingSection(heading=heading, level=level):
            text = one_line(heading.render(context, f"{where}.heading"))
            return [Heading(level, (Text(text),))] if text else []
        case TextSection(text=text):
            return list(parse_plain(text.render(context, f"{where}.text")))
        case FactsSection(facts=facts):
            items = [
                _fact(fact.label, fact.value.render(context, f"{where}.facts[{i}]"))
                for i, fact in enumerate(facts)
            ]
            kept = tuple(item for item in items if item is not None)
            return [BulletList(kept)] if kept else []
        case FieldSection(field=name, heading=heading, level=level):
            body = (
                _questions(submission)
                if name == "questions"
                else _rich(submission, name)
            )
            if not body:
                return []
            title = (
                one_line(heading.render(context, f"{where}.heading")) if heading else ""
            )
            return ([Heading(level, (Text(title),))] if title else []) + body
    return []


def _fact(label: str, value: str) -> ListItem | None:
    value = one_line(value)
    if not value:
        return None
    inlines: tuple[Inline, ...] = (
        Text(f"{one_line(label)}:", frozenset({Mark.STRONG})),
        Text(" "),
        Text(value, href=safe_url(value)),
    )
    return ListItem((Paragraph(inlines),))


def _rich(submission: Submission, name: str) -> list[Block]:
    source: str | None = getattr(submission, name)
    return list(parse_rich(source))


def _questions(submission: Submission) -> list[Block]:
    blocks: list[Block] = []
    for question in submission.questions:
        text = one_line(question.question)
        if text:
            blocks.append(Paragraph((Text(text, frozenset({Mark.STRONG})),)))
        answer = parse_rich(question.answer)
        blocks.extend(answer or [Paragraph((Text("(no answer)"),))])
    return blocks


def description_length(description: Description) -> int:
    """Length as Jira counts it: UTF-16 units of what is sent.

    ADF is measured as ``json.dumps`` writes it (ASCII, with spaces), the
    longest form a client may send.
    """
    if isinstance(description, dict):
        return len(json.dumps(description))
    return _utf16(description)


def render_description(
    blocks: Sequence[Block],
    flavour: Flavour,
    full_report_url: str | None,
    tail: Sequence[Block] = (),
) -> Description:
    """``blocks`` then ``tail`` for ``flavour``; when that is over the limit,
    ``blocks`` are cut and a marker linking to the full report is put before
    ``tail``, which is always kept whole (a comment's source tag)."""
    full = _emit([*blocks, *tail], flavour)
    if description_length(full) <= DESCRIPTION_LIMIT:
        return full

    measure = _measure(flavour)
    fixed = [*_marker(full_report_url), *tail]
    budget = (
        DESCRIPTION_LIMIT
        - description_length(_emit([], flavour))
        - sum(measure(b) + 2 for b in fixed)
    )
    kept = _leading_blocks(blocks, budget, measure)
    while (
        kept and description_length(_emit([*kept, *fixed], flavour)) > DESCRIPTION_LIMIT
    ):
        kept.pop()
    return _emit([*kept, *fixed], flavour)


def _emit(blocks: Sequence[Block], flavour: Flavour) -> Description:
    return to_adf(blocks) if flavour is Flavour.CLOUD else to_wiki(blocks)


def _measure(flavour: Flavour) -> Callable[[Block], int]:
    if flavour is Flavour.CLOUD:
        return lambda block: len(json.dumps(block_node(block)))
    return lambda block: _utf16(block_text(block))


def _leading_blocks(
    blocks: Sequence[Block], budget: int, measure: Callable[[Block], int]
) -> list[Block]:
    """As many blocks from the start as fit, the last one cut if need be."""
    kept: list[Block] = []
    used = 0
    for block in blocks:
        cost = measure(block) + (2 if kept else 0)
        if used + cost <= budget:
            kept.append(block)
            used += cost
            continue
        room = budget - used - (2 if kept else 0)
        if (cut := _cut(block, room, measure)) is not None:
            kept.append(cut)
        break
    return kept


def _cut(block: Block, room: int, measure: Callable[[Block], int]) -> Block | None:
    """The longest prefix of ``block`` whose output fits in ``room``."""
    if room <= 0:
        return None
    make = _prefix_maker(block)
    low, high = 0, min(_length(block), room)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(make(middle)) <= room:
            low = middle
        else:
            high = middle - 1
    return make(low) if low > 0 else None


def _length(block: Block) -> int:
    if isinstance(block, CodeBlock):
        return len(block.text)
    if isinstance(block, Paragraph | Heading):
        return sum(len(i.text) for i in block.inlines if isinstance(i, Text))
    return len(plain_text([block]))


def _prefix_maker(block: Block) -> Callable[[int], Block]:
    match block:
        case CodeBlock(text, language):
            return lambda n: CodeBlock(text[:n], language)
        case Paragraph(inlines):
            return lambda n: Paragraph(_inline_prefix(inlines, n))
        case Heading(level, inlines):
            return lambda n: Heading(level, _inline_prefix(inlines, n))
    text = plain_text([block])
    return lambda n: Paragraph((Text(text[:n]),))


def _inline_prefix(inlines: Sequence[Inline], size: int) -> tuple[Inline, ...]:
    out: list[Inline] = []
    for inline in inlines:
        if size <= 0:
            break
        if isinstance(inline, Text):
            out.append(Text(inline.text[:size], inline.marks, inline.href))
            size -= len(inline.text)
        else:
            out.append(inline)
    return tuple(out)


def _marker(url: str | None) -> list[Block]:
    link = safe_url(url)
    emphasis = frozenset({Mark.EM})
    if link is None:
        return [Rule(), Paragraph((Text(TRUNCATED_NO_LINK, emphasis),))]
    return [Rule(), Paragraph((Text(TRUNCATED, emphasis), Text(link, href=link)))]


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
