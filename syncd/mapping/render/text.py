"""Character-level hygiene for untrusted text, shared by every output.

Researcher text may carry control characters (invisible, or rejected by
Jira's JSON parser) and Unicode bidirectional controls, which make text read
differently from what it is ("Trojan Source"). Controls are dropped; the bidi
controls are kept but made visible as ``[U+202E]`` so a triager sees them.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

_BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_LINE_SEPARATORS = [0x0B, 0x0C, 0x85, 0x2028, 0x2029]
_DROPPED = [
    *(c for c in range(0x20) if chr(c) not in "\n\t\r"),
    *range(0x7F, 0xA0),
    *range(0xD800, 0xE000),
    0xFFFE,
    0xFFFF,
]


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(_DROPPED)
    table.update({c: "\n" for c in _LINE_SEPARATORS})
    table.update({c: f"[U+{c:04X}]" for c in _BIDI_CONTROLS})
    return table


_TABLE = _table()


def clean_text(text: str) -> str:
    """Normalise line breaks, drop controls, make bidi controls visible."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_TABLE)


def one_line(text: str) -> str:
    """Clean text and fold every run of whitespace into one space."""
    return " ".join(clean_text(text).split())


_SAFE_SCHEMES = frozenset({"http", "https"})


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL without tricks, else None.

    ``javascript:``, ``data:``, relative and protocol-relative URLs, and URLs
    with whitespace or controls (which browsers strip before reading the
    scheme) are refused.
    """
    if url is None:
        return None
    url = url.strip()
    if not url or any(c.isspace() or ord(c) in _TABLE for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES or not parts.hostname:
        return None
    return url


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def drop_zero_width(text: str) -> str:
    """``text`` without zero-width spaces, joiners and BOMs.

    They are invisible in Jira yet make two equal-looking summaries or
    labels differ. Emoji joined by U+200D fall apart into their parts.
    """
    return text.translate(_ZERO_WIDTH)


def utf16_length(text: str) -> int:
    """Length as Jira (Java) counts it: characters above U+FFFF count 2."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def cut_utf16(text: str, limit: int) -> str:
    """The longest prefix of at most ``limit`` UTF-16 units that ends on a
    character, and as far as a cheap test tells, on a grapheme."""
    used = 0
    end = len(text)
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            end = index
            break
    while 0 < end < len(text) and _extends(text[end]):
        end -= 1
    return _whole_flags(text[:end])


def _extends(char: str) -> bool:
    """Whether ``char`` belongs to the character before it (marks, variation
    selectors, skin tones, emoji tags)."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _whole_flags(text: str) -> str:
    """``text`` less a lone regional indicator left at its end by a cut."""
    run = len(text) - len(text.rstrip(_REGIONAL_INDICATORS))
    return text[:-1] if run % 2 else text


_REGIONAL_INDICATORS = "".join(map(chr, range(0x1F1E6, 0x1F200)))
