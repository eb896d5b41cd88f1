"""Hostile researcher input comes out inert in both flavours."""

from __future__ import annotations

import json

import pytest

from syncd.mapping.render import parse_rich, to_adf, to_wiki

from .adf_check import adf_problems

HOSTILE = [
    "<p>ping [~admin] and [~accountid:123456:abcd] please</p>",
    "<p>{html}<b>x</b>{html}</p><script>alert(1)</script>",
    "<p>{panel:title=Pwned}evil{panel}</p>",
    "<pre>{code}\n[~admin]\n{code}</pre><p>after</p>",
    "<pre><code class='language-java'>{noformat} {code:java} {CODE}</code></pre>",
    "<a href='javascript:alert(1)'>click</a> <a href=' JaVaScRiPt:alert(1)'>x</a>",
    "<a href='data:text/html;base64,PHNjcmlwdD4='>data</a>",
    "<img src=javascript:alert(1) alt=pic><img src='data:image/png;base64,AA'>",
    "<iframe src='https://evil.example'>inner</iframe><object>o</object>",
    "<marquee onclick='x()'>unknown tag</marquee><x-widget>custom</x-widget>",
    "<p>[click|https://evil.example] !https://evil.example/i.png! (y) :) :P</p>",
    "<p>h1. not a heading</p><p>bq. not a quote</p><p>* not a list</p>",
    "<p>|| not || a || table ||</p><p>---- not a rule</p><p>a \\\\ b</p>",
    "<p>ctl\x00\x07\x1b[31m\x7f\x85\u202eevil\u202c \u2066x\u2069</p>",
    "# md [x](javascript:alert(1)) ![i](data:image/png;base64,AA) <script>y</script>",
    "@alice :smile: mention-looking text",
    "<svg><script>alert(1)</script><text>svg</text></svg>",
    "<style>body{}</style><template><b>t</b></template><!-- comment -->",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_wiki_output_has_no_researcher_markup(source: str) -> None:
    wiki = to_wiki(parse_rich(source))

    outside_code = _outside_code(wiki)
    for needle in ("[~", "{html", "{panel", "|javascript", "|data", "<script", "(y)"):
        assert needle not in outside_code.lower()
    for needle in (":)", ":P", "!https", "[click", "||", "----", "\\\\"):
        assert needle not in outside_code
    assert "&#40&#59;" not in wiki


@pytest.mark.parametrize("source", HOSTILE)
def test_adf_output_is_allow_listed_and_well_formed(source: str) -> None:
    doc = to_adf(parse_rich(source))

    assert adf_problems(doc) == []
    assert '"mention"' not in json.dumps(doc)


def test_code_block_terminator_is_neutralised() -> None:
    wiki = to_wiki(parse_rich("<pre>a\n{code}\n{noformat}\nb</pre>"))

    assert wiki == "{noformat}\na\n{\u200bcode}\n{\u200bnoformat}\nb\n{noformat}"


def test_mentions_and_macros_are_escaped_as_references() -> None:
    wiki = to_wiki(parse_rich("<p>[~admin] {html}</p>"))

    assert wiki == "&#91;&#126;admin&#93; &#123;html&#125;"


def test_line_start_markers_are_broken() -> None:
    wiki = to_wiki(parse_rich("<p>h1. x</p><p>BQ. y</p>"))

    assert wiki == "h1&#46; x\n\nBQ&#46; y"


def test_control_characters_are_dropped_and_bidi_made_visible() -> None:
    doc = to_adf(parse_rich("<p>a\x00b\x1b\x7f\u202eevil\u202c</p>"))

    assert doc["content"][0]["content"] == [
        {"type": "text", "text": "ab[U+202E]evil[U+202C]"}
    ]


def test_javascript_image_becomes_plain_alt_text() -> None:
    doc = to_adf(parse_rich("<img src='javascript:alert(1)' alt='pic'>"))

    assert doc["content"] == [
        {"type": "paragraph", "content": [{"type": "text", "text": "pic"}]}
    ]


def test_safe_image_becomes_a_link() -> None:
    doc = to_adf(parse_rich("<img src='https://cdn.example/a.png' alt='shot'>"))

    assert doc["content"][0]["content"] == [
        {
            "type": "text",
            "text": "shot",
            "marks": [{"type": "link", "attrs": {"href": "https://cdn.example/a.png"}}],
        }
    ]


@pytest.mark.parametrize(
    "source",
    [
        "<div>" * 500 + "deep" + "</div>" * 500,
        "<b><i>" * 500 + "deep",
        "<ul><li>" * 500 + "deep",
        "<blockquote>" * 500 + "deep",
        "<table><tr><td>" * 500 + "deep",
        "> " * 500 + "deep",
        "- " * 500 + "deep",
    ],
)
def test_nesting_500_deep_keeps_the_text_without_crashing(source: str) -> None:
    blocks = parse_rich(source)

    assert "deep" in to_wiki(blocks)
    assert adf_problems(to_adf(blocks)) == []
    assert "deep" in json.dumps(to_adf(blocks))


def _outside_code(wiki: str) -> str:
    """The wiki text with {code}/{noformat} bodies removed."""
    kept: list[str] = []
    inside = False
    for line in wiki.split("\n"):
        if line.startswith(("{code", "{noformat")):
            inside = not inside
            continue
        if not inside:
            kept.append(line)
    return "\n".join(kept)
