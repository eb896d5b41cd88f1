"""Messages and comments across: Intigriti messages to Jira comments, and
Jira comments a mapping selects to Intigriti internal comments.

Each item is carried once: its source id is recorded in Redis and written
into the comment (``intigriti-message:<id>``). Intigriti events carry no
message id, so the id is a digest of time, author and text. Text syncd
posts itself is recorded as a digest before it is sent, so that when it
comes back as an event or a comment it is recognised as an echo.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from syncd.intigriti.models import SubmissionEvent
from syncd.jira.issues import IssueSnapshot
from syncd.jira.models import Flavour, IssueRef
from syncd.mapping.render import parse_rich, to_adf, to_wiki
from syncd.mapping.render.plain import parse_plain
from syncd.mapping.status import CommentMapping
from syncd.state import State, digest

log = structlog.get_logger("syncd.comments")

MESSAGE_TAG = "intigriti-message"


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


def echo_key(text: str) -> str:
    return "echo:" + digest(text.strip())


def message_id(event: SubmissionEvent) -> str:
    raw = [int(event.created_at.timestamp()), event.user_id, event.extra["message"]]
    return digest(raw)[:20]


def is_internal(event: SubmissionEvent) -> bool:
    return event.visibility is not None and event.visibility.value == "Internal"


def render_comment(header: str, html: str, footer: str, flavour: Flavour) -> Any:
    """Header and footer as plain text, the message through the safe renderer."""
    blocks = (*parse_plain(header), *parse_rich(html), *parse_plain(footer))
    return to_adf(blocks) if flavour is Flavour.CLOUD else to_wiki(blocks)


def push_messages(
    source: MessageSource,
    tracker: CommentSink,
    state: State,
    config: CommentMapping,
    code: str,
    link: IssueRef,
) -> int:
    """Post the submission's new messages to Jira; how many were posted."""
    linked_at = state.linked_at(code)
    since = None if linked_at is None else datetime.fromtimestamp(linked_at, UTC)
    posted = 0
    for event in source.list_events(code, since):
        text = event.extra.get("message")
        if not isinstance(text, str) or not text.strip():
            continue
        internal = is_internal(event)
        if not (config.internal if internal else config.external):
            continue
        source_id = message_id(event)
        key = f"i:{source_id}"
        if state.carried(code, key) or state.carried(code, echo_key(text)):
            continue
        token = state.claim(f"{code}:carry:{key}", CARRY_CLAIM_SECONDS)
        if token is None or state.carried(code, key):
            continue  # another worker is posting it, or just did

        kind = "internal message" if internal else "message"
        header = f"Intigriti {kind} from {event.user_name or 'unknown'}:"
        body = render_comment(
            header, text, f"{MESSAGE_TAG}:{source_id}", tracker.flavour
        )
        visibility = None
        if internal and config.internal_visibility is not None:
            visibility = config.internal_visibility.model_dump()
        try:
            tracker.add_comment(link.id, body, visibility)
        except BaseException:
            state.release_claim(f"{code}:carry:{key}", token)
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
    raw = (issue.fields.get("comment") or {}).get("comments") or []
    carried = 0
    for comment in raw:
        author = comment.get("author") or {}
        if bot in (author.get("accountId"), author.get("name")):
            continue
        key = f"j:{comment['id']}"
        if state.carried(code, key):
            continue
        text = plain_text(comment.get("body")).strip()
        visibility = (comment.get("visibility") or {}).get("value")
        if selected.prefix is not None and text.startswith(selected.prefix):
            text = text.removeprefix(selected.prefix).strip()
        elif visibility is None or visibility not in selected.visibility:
            continue
        if not text:
            continue

        token = state.claim(f"{code}:carry:{key}", CARRY_CLAIM_SECONDS)
        if token is None or state.carried(code, key):
            continue  # another worker is carrying it, or just did

        name = author.get("displayName") or "someone"
        message = f"{text}\n\n({name} on Jira {issue.key})"
        state.record_carried(code, echo_key(message))
        try:
            source.add_comment(code, message, internal=True)
        except BaseException:
            state.release_claim(f"{code}:carry:{key}", token)
            raise
        state.record_carried(code, key)
        carried += 1
    if carried:
        log.info("comments.jira_comments_carried", jira_key=issue.key, count=carried)
    return carried


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
