"""What hangs off an issue: comments, remote links, attachments, properties.

Mixed into `JiraSimStore`; runs under the store's lock.
"""

from __future__ import annotations

from typing import Any

from syncd.sim.jira import fields, render
from syncd.sim.jira.config import JiraSimConfig
from syncd.sim.jira.errors import JiraApiError, bad_request, not_found
from syncd.sim.jira.model import Attachment, Comment, Issue, RemoteLink, now
from syncd.sim.jira.render import Ctx

ROLES = {"Administrators", "Developers", "Users"}
GROUPS = {"jira-administrators", "jira-software-users", "security-team"}
PROPERTY_LIMIT = 32_768


class IssueParts:
    config: JiraSimConfig
    _sequence: dict[str, int]

    def _find(self, ref: str) -> Issue:
        raise NotImplementedError

    def _next(self, kind: str) -> int:
        self._sequence[kind] = self._sequence.get(kind, 10000) + 1
        return self._sequence[kind]

    def _touched(self, issue: Issue, ctx: Ctx, items: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _comment_event(self, issue: Issue, ctx: Ctx, comment: Comment) -> None:
        raise NotImplementedError

    def _new_comment(self, ctx: Ctx, issue: Issue, body: dict[str, Any]) -> Comment:
        if not isinstance(body, dict) or "body" not in body:
            raise bad_request("comment", "Comment body can not be empty!")
        text = fields.rich_text(ctx, "comment", body["body"])
        if text == "" or (isinstance(text, dict) and not text.get("content")):
            raise bad_request("comment", "Comment body can not be empty!")
        visibility = _visibility(body.get("visibility"))
        return Comment(
            str(self._next("comment")), ctx.user.name, text, now(), visibility
        )

    def add_comment(self, ctx: Ctx, ref: str, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /issue/{id}/comment`, optionally restricted by `visibility`."""
        issue = self._find(ref)
        comment = self._new_comment(ctx, issue, body)
        issue.comments.append(comment)
        self._touched(issue, ctx, [])
        self._comment_event(issue, ctx, comment)
        return render.comment(ctx, issue, comment)

    def comments(self, ctx: Ctx, ref: str) -> dict[str, Any]:
        issue = self._find(ref)
        shown = [render.comment(ctx, issue, c) for c in issue.comments]
        return {
            "startAt": 0,
            "maxResults": len(shown),
            "total": len(shown),
            "comments": shown,
        }

    def upsert_remote_link(
        self, ctx: Ctx, ref: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """`POST /issue/{id}/remotelink`: same `globalId` updates; says if created."""
        issue = self._find(ref)
        target = body.get("object")
        if (
            not isinstance(target, dict)
            or not target.get("url")
            or not target.get("title")
        ):
            raise JiraApiError(
                400, errors={"object": "The remote link needs a url and a title."}
            )
        global_id = body.get("globalId")
        existing = [
            link
            for link in issue.remote_links
            if global_id is not None and link.global_id == global_id
        ]
        if existing:
            link = existing[0]
            link.object, link.application = target, body.get("application")
            link.relationship = body.get("relationship")
        else:
            link = RemoteLink(
                self._next("remotelink"),
                global_id,
                target,
                body.get("application"),
                body.get("relationship"),
            )
            issue.remote_links.append(link)
        self._touched(issue, ctx, [])
        answer = {
            "id": link.id,
            "self": f"{ctx.api}/issue/{issue.id}/remotelink/{link.id}",
        }
        return answer, not existing

    def remote_links(self, ctx: Ctx, ref: str) -> list[dict[str, Any]]:
        issue = self._find(ref)
        return [
            {
                "id": link.id,
                "self": f"{ctx.api}/issue/{issue.id}/remotelink/{link.id}",
                "globalId": link.global_id,
                "application": link.application or {},
                "relationship": link.relationship,
                "object": link.object,
            }
            for link in issue.remote_links
        ]

    def add_attachment(
        self, ctx: Ctx, ref: str, filename: str, content: bytes, mime_type: str
    ) -> list[dict[str, Any]]:
        """`POST /issue/{id}/attachments`; over the site limit is 413."""
        issue = self._find(ref)
        if len(content) > self.config.attachment_max_bytes:
            message = (
                f"The file '{filename}' is too large to attach. The maximum size is "
                f"{self.config.attachment_max_bytes} bytes."
            )
            raise JiraApiError(413, [message])
        item = Attachment(
            str(self._next("attachment")),
            filename,
            ctx.user.name,
            len(content),
            mime_type,
            now(),
            content,
        )
        issue.attachments.append(item)
        self._touched(
            issue,
            ctx,
            [
                {
                    "field": "Attachment",
                    "fieldtype": "jira",
                    "fromString": None,
                    "toString": filename,
                }
            ],
        )
        return [render.attachment(ctx, issue, item.id)]

    def set_property(self, ctx: Ctx, ref: str, key: str, value: Any) -> bool:
        """`PUT /issue/{id}/properties/{key}`; True when the key is new."""
        issue = self._find(ref)
        if len(key) > 255 or not key:
            raise bad_request(None, "The property key must be 1 to 255 characters.")
        created = key not in issue.properties
        issue.properties[key] = value
        return created

    def get_property(self, ctx: Ctx, ref: str, key: str) -> dict[str, Any]:
        issue = self._find(ref)
        if key not in issue.properties:
            raise not_found(f"The property with key '{key}' does not exist.")
        return {"key": key, "value": issue.properties[key]}

    def property_keys(self, ctx: Ctx, ref: str) -> dict[str, Any]:
        issue = self._find(ref)
        return {
            "keys": [
                {"self": f"{ctx.api}/issue/{issue.id}/properties/{k}", "key": k}
                for k in issue.properties
            ]
        }

    def delete_property(self, ctx: Ctx, ref: str, key: str) -> None:
        issue = self._find(ref)
        if key not in issue.properties:
            raise not_found(f"The property with key '{key}' does not exist.")
        del issue.properties[key]


def _visibility(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in ("role", "group"):
        raise bad_request("commentLevel", "Visibility type must be 'role' or 'group'.")
    name = value.get("value") or value.get("identifier")
    if value["type"] == "role" and name not in ROLES:
        message = f"You are currently not a member of the project role: {name}."
        raise bad_request("commentLevel", message)
    if value["type"] == "group" and name not in GROUPS:
        raise bad_request("commentLevel", f"Group: {name} does not exist.")
    return {"type": str(value["type"]), "value": str(name)}
