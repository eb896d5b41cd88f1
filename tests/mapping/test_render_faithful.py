"""Ordinary formatting survives, in both flavours."""

from __future__ import annotations

from syncd.mapping.render import parse_rich, to_adf, to_wiki

from .adf_check import adf_problems

REPORT = (
    "<h2>Steps</h2>"
    "<p>Open <strong>notes</strong>, then <em>save</em> "
    "<code>x</code> <s>old</s> <a href='https://docs.example/a'>docs</a>.</p>"
    "<ol><li>first</li><li>second<ul><li>inner</li></ul></li></ol>"
    "<pre><code class='language-python'>print(1)\n</code></pre>"
    "<blockquote><p>quoted</p></blockquote><hr>"
    "<table><tr><th>Param</th><th>Value</th></tr><tr><td>q</td><td>1</td></tr></table>"
)


def test_wiki_renders_each_construct() -> None:
    assert to_wiki(parse_rich(REPORT)) == (
        "h2. Steps\n\n"
        "Open *notes*, then _save_ {{x}} -old- [docs|https://docs.example/a].\n\n"
        "# first\n# second\n#* inner\n\n"
        "{code:python}\nprint(1)\n{code}\n\n"
        "{quote}\nquoted\n{quote}\n\n"
        "----\n\n"
        "||Param||Value||\n|q|1|"
    )


def test_adf_renders_each_construct() -> None:
    doc = to_adf(parse_rich(REPORT))

    assert adf_problems(doc) == []
    assert [node["type"] for node in doc["content"]] == [
        "heading",
        "paragraph",
        "orderedList",
        "codeBlock",
        "blockquote",
        "rule",
        "table",
    ]
    assert doc["content"][1]["content"] == [
        {"type": "text", "text": "Open "},
        {"type": "text", "text": "notes", "marks": [{"type": "strong"}]},
        {"type": "text", "text": ", then "},
        {"type": "text", "text": "save", "marks": [{"type": "em"}]},
        {"type": "text", "text": " "},
        {"type": "text", "text": "x", "marks": [{"type": "code"}]},
        {"type": "text", "text": " "},
        {"type": "text", "text": "old", "marks": [{"type": "strike"}]},
        {"type": "text", "text": " "},
        {
            "type": "text",
            "text": "docs",
            "marks": [{"type": "link", "attrs": {"href": "https://docs.example/a"}}],
        },
        {"type": "text", "text": "."},
    ]
    assert doc["content"][3] == {
        "type": "codeBlock",
        "content": [{"type": "text", "text": "print(1)"}],
        "attrs": {"language": "python"},
    }


def test_markdown_is_rendered_when_there_is_no_html() -> None:
    source = "## Title\n\nSome **bold** and `code`.\n\n```js\nalert(1)\n```\n\n- a\n- b"

    assert to_wiki(parse_rich(source)) == (
        "h2. Title\n\nSome *bold* and {{code}}.\n\n"
        "{code:js}\nalert(1)\n{code}\n\n* a\n* b"
    )


def test_line_breaks_become_hard_breaks() -> None:
    doc = to_adf(parse_rich("<p>one<br>two</p>"))

    assert doc["content"][0]["content"] == [
        {"type": "text", "text": "one"},
        {"type": "hardBreak"},
        {"type": "text", "text": "two"},
    ]
    assert to_wiki(parse_rich("<p>one<br>two</p>")) == "one\\\\ two"


def test_heading_inside_a_list_item_becomes_bold_text() -> None:
    doc = to_adf(parse_rich("<ul><li><h3>Title</h3></li></ul>"))

    assert adf_problems(doc) == []
    item = doc["content"][0]["content"][0]
    assert item["content"] == [
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "Title", "marks": [{"type": "strong"}]}
            ],
        }
    ]


def test_empty_or_blank_field_renders_nothing() -> None:
    assert parse_rich(None) == ()
    assert parse_rich("  \n") == ()
    assert parse_rich("<p> </p>") == ()
