"""How syncd recognises its own messages and the tags of carried comments."""

from __future__ import annotations

import pytest

from syncd.comments import (
    is_own_message,
    message_tags,
    outgoing_text,
    render_comment,
    selected_text,
)
from syncd.jira.models import Flavour
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
