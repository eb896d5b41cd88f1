"""Character-level hygiene for untrusted text, shared by every output.

Researcher text may carry control characters (invisible, or rejected by
Jira's JSON parser) and Unicode bidirectional controls, which make text read
differently from what it is ("Trojan Source"). Controls are dropped; the bidi
controls are kept but made visible as ``[U+202E]`` so a triager sees them.
"""

from __future__ import annotations

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
