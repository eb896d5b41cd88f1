"""Messages and comments across: Intigriti messages to Jira comments, and
Jira comments a mapping selects to Intigriti internal comments.

Each item is carried once: its source id is recorded in Redis and written
into the comment (``intigriti-message:<id>``). Intigriti events carry no
message id, so the id is a digest of time, author and text. Text syncd
posts itself is recorded as a digest before it is sent, so that when it
comes back as an event or a comment it is recognised as an echo.

By default the whole conversation is carried, including messages placed
before the Jira issue existed (a researcher may answer before the first
sync). When Redis has lost its records and syncd adopts an issue it made
earlier, ``recover_carried`` rebuilds them from both sides: the tags in the
Jira comments, and the carried Jira comments found among the Intigriti
messages.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from syncd.intigriti.models import SubmissionEvent
from syncd.jira.issues import IssueSnapshot
from syncd.jira.models import Flavour, IssueRef
from syncd.mapping.description import render_description
from syncd.mapping.render import parse_rich
from syncd.mapping.render.plain import parse_plain
from syncd.mapping.status import CommentMapping, FromJira
from syncd.state import State, digest

log = structlog.get_logger("syncd.comments")

MESSAGE_TAG = "intigriti-message"
_TAGGED = re.compile(MESSAGE_TAG + r":([0-9a-f]{20})")
# How the messages syncd places on Intigriti read: notes, and Jira comments.
NOTE_PREFIX = "syncd: "
_FROM_JIRA = re.compile(r"(?:^|\n)[ \t]*\([^\n]* on Jira [A-Z][A-Z0-9_]*-[0-9]+\)$")


class MessageSource(Protocol):
    def list_events(
        self, code: str, created_since: datetime | None
    ) -> list[SubmissionEvent]: ...

    def add_comment(self, code: str, message: str, *, internal: bool) -> str: ...


class CommentSink(Protocol):
    flavour: Flavour

    def add_comment(
        self,
        issue_id: str,
        body: str | dict[str, Any],
        visibility: Mapping[str, str] | None = None,
    ) -> str: ...


# A claim per item, so that replicas do not post one message twice; it is
# kept after success (the carried record then answers) and expires if the
# worker dies mid-post.
CARRY_CLAIM_SECONDS = 300


def is_own_message(text: str) -> bool:
    """Whether an internal Intigriti message reads like one syncd placed."""
    text = text.strip()
    return text.startswith(NOTE_PREFIX) or _FROM_JIRA.search(text) is not None


def message_tags(body: Any) -> set[str]:
    """The message ids a Jira comment is tagged with (DC escapes the tag)."""
    return set(_TAGGED.findall(html.unescape(plain_text(body))))


def echo_key(text: str) -> str:
    return "echo:" + digest(text.strip())


def message_id(event: SubmissionEvent) -> str:
    raw = [int(event.created_at.timestamp()), event.user_id, event.extra["message"]]
    return digest(raw)[:20]


def is_internal(event: SubmissionEvent) -> bool:
    return event.visibility is not None and event.visibility.value == "Internal"


def render_comment(
    header: str,
    html: str,
    footer: str,
    flavour: Flavour,
    full_url: str | None = None,
) -> Any:
    """Header and footer as plain text, the message through the safe renderer;
    a message too long for a Jira comment is cut, with a marker linking to
    ``full_url``, and the footer (the source tag) is always kept."""
    return render_description(
        [*parse_plain(header), *parse_rich(html)],
        flavour,
        full_url,
        tail=parse_plain(footer),
    )


def push_messages(
    source: MessageSource,
    tracker: CommentSink,
    state: State,
    config: CommentMapping,
    code: str,
    link: IssueRef,
    full_url: str | None = None,
) -> int:
    """Post the submission's new messages to Jira; how many were posted.

    ``full_url`` is the submission on Intigriti, linked from a message that
    had to be cut to fit a Jira comment."""
    linked_at = None if config.history else state.linked_at(code)
    since = None if linked_at is None else datetime.fromtimestamp(linked_at, UTC)
    posted = 0
    carried: set[str] | None = None  # read once, when a message needs it
    for event in source.list_events(code, since):
        text = event.extra.get("message")
        if not isinstance(text, str) or not text.strip():
            continue
        internal = is_internal(event)
        if not (config.internal if internal else config.external):
            continue
        if internal and is_own_message(text):
            continue  # syncd placed it: a note, or a Jira comment carried over
        source_id = message_id(event)
        key = f"i:{source_id}"
        if carried is None:
            carried = state.carried_items(code)
        if key in carried or echo_key(text) in carried:
            continue
        token = state.claim_carry(code, key, CARRY_CLAIM_SECONDS)
        if token is None:
            continue  # another worker is posting it, or just did

        kind = "internal message" if internal else "message"
        header = f"Intigriti {kind} from {event.user_name or 'unknown'}:"
        body = render_comment(
            header, text, f"{MESSAGE_TAG}:{source_id}", tracker.flavour, full_url
        )
        visibility = None
        if internal and config.internal_visibility is not None:
            visibility = config.internal_visibility.model_dump()
        try:
            tracker.add_comment(link.id, body, visibility)
        except BaseException:
            state.release_carry(code, key, token)
            raise
        state.record_carried(code, key)
        posted += 1
    if posted:
        log.info("comments.messages_posted", jira_key=link.key, count=posted)
    return posted


def pull_comments(
    source: MessageSource,
    state: State,
    config: CommentMapping,
    code: str,
    issue: IssueSnapshot,
    bot: str,
) -> int:
    """Carry the Jira comments the mapping selects to Intigriti (internal)."""
    selected = config.from_jira
    if selected is None:
        return 0
    carried = 0
    recorded: set[str] | None = None  # read once, when a comment needs it
    for comment in _comments(issue):
        key = f"j:{comment['id']}"
        if recorded is None:
            recorded = state.carried_items(code)
        if key in recorded:
            continue
        message = outgoing_text(comment, selected, issue.key, bot)
        if message is None:
            continue

        token = state.claim_carry(code, key, CARRY_CLAIM_SECONDS)
        if token is None:
            continue  # another worker is carrying it, or just did

        state.record_carried(code, echo_key(message))
        try:
            source.add_comment(code, message, internal=True)
        except BaseException:
            state.release_carry(code, key, token)
            raise
        state.record_carried(code, key)
        carried += 1
    if carried:
        log.info("comments.jira_comments_carried", jira_key=issue.key, count=carried)
    return carried


def outgoing_text(
    comment: Mapping[str, Any], selected: FromJira, issue_key: str, bot: str
) -> str | None:
    """The Intigriti message a Jira comment becomes, or None if not selected."""
    text = selected_text(comment, selected, bot)
    if text is None:
        return None
    name = (comment.get("author") or {}).get("displayName") or "someone"
    return f"{text}\n\n({name} on Jira {issue_key})"  # see _FROM_JIRA


def selected_text(
    comment: Mapping[str, Any], selected: FromJira, bot: str
) -> str | None:
    """What of a Jira comment the mapping carries, or None if not selected."""
    author = comment.get("author") or {}
    if bot in (author.get("accountId"), author.get("name")):
        return None
    text = plain_text(comment.get("body")).strip()
    visibility = (comment.get("visibility") or {}).get("value")
    if selected.prefix is not None and text.startswith(selected.prefix):
        text = text.removeprefix(selected.prefix).strip()
    elif visibility is None or visibility not in selected.visibility:
        return None
    return text or None


def recover_carried(
    source: MessageSource,
    state: State,
    config: CommentMapping,
    code: str,
    issue: IssueSnapshot,
    bot: str,
) -> int:
    """Rebuild the carried records of an adopted issue; how many were found.

    Redis lost them, so without this every message would be posted again.
    Messages already in Jira are known by the tag in their comment; Jira
    comments already on Intigriti by their text among syncd's own messages
    (whatever the issue's key or the author's name is now).
    """
    found: set[str] = set()
    for comment in _comments(issue):
        found.update(f"i:{tag}" for tag in message_tags(comment.get("body")))
    carried_texts: set[str] = set()
    for event in source.list_events(code, None):
        text = event.extra.get("message")
        if isinstance(text, str) and is_internal(event) and is_own_message(text):
            found.add(echo_key(text))
            carried_texts.add(_FROM_JIRA.sub("", text.strip()).strip())
    if config.from_jira is not None:
        for comment in _comments(issue):
            selected = selected_text(comment, config.from_jira, bot)
            if selected is not None and selected in carried_texts:
                found.add(f"j:{comment['id']}")
    for item in found:
        state.record_carried(code, item)
    if found:
        log.info("comments.carried_recovered", jira_key=issue.key, count=len(found))
    return len(found)


def _comments(issue: IssueSnapshot) -> list[Mapping[str, Any]]:
    raw = (issue.fields.get("comment") or {}).get("comments") or []
    return [comment for comment in raw if isinstance(comment, Mapping)]


def plain_text(body: Any) -> str:
    """A comment body as text: wiki strings as they are, ADF flattened."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        if body.get("type") == "text":
            return str(body.get("text", ""))
        parts = [plain_text(child) for child in body.get("content") or []]
        joiner = "\n" if body.get("type") == "doc" else ""
        return joiner.join(parts)
    return ""
