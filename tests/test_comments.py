"""How syncd recognises its own messages and the tags of carried comments."""

from __future__ import annotations

import json

import pytest

from syncd.comments import (
    is_own_message,
    message_tags,
    outgoing_text,
    render_comment,
    selected_text,
)
from syncd.jira.models import Flavour
from syncd.mapping.description import DESCRIPTION_LIMIT, description_length
from syncd.mapping.status import FromJira

TAG = "intigriti-message:d0123456789abcdef012"


@pytest.mark.parametrize("flavour", list(Flavour))
def test_the_tag_is_read_back_from_either_flavour(flavour: Flavour) -> None:
    # Data Center's wiki escaping turns the tag into numeric references.
    body = render_comment("Intigriti message from R:", "<p>hi</p>", TAG, flavour)

    assert message_tags(body) == {"d0123456789abcdef012"}


def test_a_carried_jira_comment_reads_as_syncds_own_message() -> None:
    comment = {
        "id": "7",
        "author": {"accountId": "alice", "displayName": "Alice (AppSec)"},
        "body": "#intigriti Fixed (really)",
    }
    selected = FromJira(prefix="#intigriti")

    text = outgoing_text(comment, selected, "SEC-12", bot="syncd-bot")

    assert text == "Fixed (really)\n\n(Alice (AppSec) on Jira SEC-12)"
    assert is_own_message(text)
    assert selected_text(comment, selected, bot="syncd-bot") == "Fixed (really)"


@pytest.mark.parametrize(
    "text",
    [
        "Thanks (see the PoC on Jira SEC-1) for details",
        "on Jira SEC-1)",
        "syncd is great",
    ],
)
def test_a_researcher_text_is_not_taken_for_syncds(text: str) -> None:
    assert not is_own_message(text)


@pytest.mark.parametrize(
    ("flavour", "message"),
    [
        (Flavour.CLOUD, "<p>" + "word " * 20_000 + "</p>"),
        (Flavour.DATA_CENTER, "<p>" + "word " * 20_000 + "</p>"),
        # Data Center escapes each brace as a six-character reference.
        (Flavour.DATA_CENTER, "{" * 6_000),
        (Flavour.CLOUD, "<pre><code>" + "A" * 40_000 + "</code></pre>"),
        (Flavour.DATA_CENTER, "<pre><code>" + "A" * 40_000 + "</code></pre>"),
    ],
    ids=["cloud-words", "dc-words", "dc-braces", "cloud-code", "dc-code"],
)
def test_a_message_too_long_for_jira_is_cut_and_keeps_its_tag(
    flavour: Flavour, message: str
) -> None:
    url = "https://app.intigriti.example/submissions/KESTRELWORKS-ABCD1234"

    body = render_comment("Intigriti message from R:", message, TAG, flavour, url)

    assert description_length(body) <= DESCRIPTION_LIMIT
    assert message_tags(body) == {"d0123456789abcdef012"}
    assert "Truncated to fit" in json.dumps(body)
    assert url in json.dumps(body)


def test_a_message_that_fits_is_whole_and_not_marked() -> None:
    body = render_comment(
        "Intigriti message from R:",
        "{" * 6_000,
        TAG,
        Flavour.CLOUD,
        "https://x.example",
    )

    assert "{" * 6_000 in json.dumps(body)
    assert "Truncated" not in json.dumps(body)
