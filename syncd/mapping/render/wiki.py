"""The document tree as Jira wiki markup (Jira Data Center).

Wiki markup has no quoting: every character that could start markup in text
(``{`` macros, ``[~user]`` mentions, ``[..|..]`` links, ``|`` tables,
``!img!``, ``*_-+^~?`` effects, ``(y)`` emoticons, ``\\`` line breaks) is
written as an HTML character reference, which the renderer shows as the
character and never reads as markup; ``h1.`` and ``bq.`` at a line start
lose their meaning the same way. Code goes into ``{code:lang}`` or
``{noformat}``, which show their body literally up to the closing tag, so a
``{code`` or ``{noformat`` inside the body is broken with a zero-width space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

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
    plain_text,
)

_SPECIAL = re.compile(r"[&\\{}\[\]|*_\-+^~?!#()]|[:;](?=[PpDdOo])")
_LINE_START = re.compile(r"^(h[1-6]|bq)\.", re.IGNORECASE)
_MACRO_IN_CODE = re.compile(r"\{(?=\s*(?:code|noformat)\b)", re.IGNORECASE)
_URL_SAFE = "/:?#@&=%;,.~*'$+-_"
_MARK_SYNTAX = ((Mark.STRONG, "*"), (Mark.EM, "_"), (Mark.STRIKE, "-"))
CODE_LANGUAGES = frozenset(
    [
        "actionscript",
        "ada",
        "applescript",
        "bash",
        "c",
        "c#",
        "c++",
        "cpp",
        "css",
        "erlang",
        "go",
        "groovy",
        "haskell",
        "html",
        "java",
        "javascript",
        "js",
        "json",
        "lua",
        "none",
        "objc",
        "perl",
        "php",
        "python",
        "r",
        "ruby",
        "scala",
        "sh",
        "sql",
        "swift",
        "visualbasic",
        "xml",
        "yaml",
    ]
)
BREAK = "\\\\"


def escape(text: str) -> str:
    """Text made inert: displayed as written, never read as markup."""
    return _SPECIAL.sub(_reference, text.replace("\n", " "))


def _reference(match: re.Match[str]) -> str:
    char = match.group()
    return "&amp;" if char == "&" else f"&#{ord(char)};"


def to_wiki(blocks: Iterable[Block]) -> str:
    """Wiki markup for ``blocks``, separated by blank lines."""
    return "\n\n".join(text for block in blocks if (text := block_text(block)))


def block_text(block: Block) -> str:
    """One block as wiki markup (exposed to measure blocks one by one)."""
    match block:
        case Paragraph(inlines):
            return _LINE_START.sub(r"\1&#46;", inline_markup(inlines))
        case Heading(level, inlines):
            text = inline_markup(inlines, line_break=" ")
            return f"h{min(max(level, 1), 6)}. {text}" if text else ""
        case CodeBlock(text, language):
            return _code(text, language)
        case BulletList() | OrderedList():
            return "\n".join(_list_lines(block, ""))
        case Blockquote(blocks):
            return "{quote}\n" + to_wiki(blocks) + "\n{quote}"
        case Rule():
            return "----"
        case Table(rows):
            return "\n".join(_row(row) for row in rows)
    raise TypeError(type(block).__name__)


def inline_markup(inlines: Iterable[Inline], line_break: str = BREAK + " ") -> str:
    parts: list[str] = []
    for inline in inlines:
        if isinstance(inline, HardBreak):
            parts.append(line_break)
        else:
            parts.append(_text(inline))
    return "".join(parts).strip()


def _text(text: Text) -> str:
    body = text.text.replace("\n", " ")
    stripped = body.strip()
    if not stripped:
        return body
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()) :]
    markup = escape(stripped)
    if Mark.CODE in text.marks:
        markup = "{{" + markup + "}}"
    else:
        for mark, sign in _MARK_SYNTAX:
            if mark in text.marks:
                markup = sign + markup + sign
    if text.href:
        markup = f"[{markup}|{_url(text.href)}]"
    return lead + markup + trail


def _url(url: str) -> str:
    return quote(url, safe=_URL_SAFE)


def _code(text: str, language: str | None) -> str:
    body = _MACRO_IN_CODE.sub("{\u200b", text)
    if language in CODE_LANGUAGES:
        return f"{{code:{language}}}\n{body}\n{{code}}"
    return f"{{noformat}}\n{body}\n{{noformat}}"


def _list_lines(block: BulletList | OrderedList, prefix: str) -> list[str]:
    prefix += "#" if isinstance(block, OrderedList) else "*"
    lines: list[str] = []
    for item in block.items:
        lines.extend(_item_lines(item, prefix))
    return lines


def _item_lines(item: ListItem, prefix: str) -> list[str]:
    texts: list[str] = []
    nested: list[str] = []
    for block in item.blocks:
        if isinstance(block, BulletList | OrderedList):
            nested.extend(_list_lines(block, prefix))
        elif isinstance(block, Paragraph) and not nested:
            texts.append(inline_markup(block.inlines))
        else:
            nested.append(block_text(block))
    head = f"{prefix} " + f" {BREAK} ".join(t for t in texts if t)
    return [head.rstrip(), *nested]


def _row(row: Sequence[TableCell]) -> str:
    cells = [("||" if c.header else "|") + _cell(c) for c in row]
    return "".join(cells) + ("||" if row and row[-1].header else "|")


def _cell(cell: TableCell) -> str:
    lines: list[str] = []
    for block in cell.blocks:
        if isinstance(block, Paragraph | Heading):
            lines.append(inline_markup(block.inlines))
        elif isinstance(block, CodeBlock) and block.text.strip():
            lines.append("{{" + escape(" ".join(block.text.split())) + "}}")
        else:
            lines.append(escape(plain_text([block])))
    return f" {BREAK} ".join(line for line in lines if line) or " "
