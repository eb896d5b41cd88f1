"""The simulator's state and its Python control surface (`app.state.sim`).

REST handlers call the `Ctx`-taking methods (in `issues`, `parts` and here);
tests and the demo call the control methods directly or through `/_sim/`.
All access is serialised by one lock: the simulator favours obviously
correct over fast.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from syncd.sim.jira import meta, render, search, workflow
from syncd.sim.jira.config import JiraSimConfig, ProjectConfig, RateLimitConfig
from syncd.sim.jira.control import Faults, Journal, RequestRecord
from syncd.sim.jira.errors import JiraApiError, not_found
from syncd.sim.jira.issues import IssueWrites
from syncd.sim.jira.model import Comment, Issue, now
from syncd.sim.jira.parts import IssueParts
from syncd.sim.jira.ratelimit import RateLimiter
from syncd.sim.jira.render import Ctx
from syncd.sim.jira.webhooks import WebhookSender

FIRST_ISSUE_ID = 10000


class JiraSimStore(IssueParts, IssueWrites):
    # IssueParts first: it provides `_new_comment`, which IssueWrites only declares.
    def __init__(self, config: JiraSimConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.journal = Journal()
        self.webhooks = WebhookSender(config.webhook_url)
        self.base_url = config.base_url
        self._initial_rate_limit = config.rate_limit
        self._initial_lag = config.index_lag_ms
        self.reset()

    # -- control ---------------------------------------------------------

    def reset(self) -> None:
        """Forget every issue, request, counter and fault; keep the config."""
        with self.lock:
            self.issues: dict[int, Issue] = {}
            self._keys: dict[str, int] = {}
            self._sequence: dict[str, int] = {}
            self._numbers: dict[str, int] = {}
            self._next_id = FIRST_ISSUE_ID
            self.journal.clear()
            self.faults = Faults()
            self.index_lag_ms = self._initial_lag
            self.limiter = RateLimiter(self._initial_rate_limit)

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.as_json() for r in self.journal.records]

    def clear_requests(self) -> None:
        with self.lock:
            self.journal.records.clear()

    def counters(self) -> dict[str, int]:
        """Writes seen, keyed `METHOD /rest/api/{version}/issue/{issue}/...`."""
        with self.lock:
            return dict(self.journal.writes)

    def record(self, entry: RequestRecord) -> None:
        with self.lock:
            self.journal.record(entry)

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change faults, `index_lag_ms` and rate-limit settings; unknown keys fail."""
        with self.lock:
            limits = {
                k: changes.pop(k)
                for k in list(changes)
                if k in RateLimitConfig.model_fields
            }
            if "index_lag_ms" in changes:
                self.index_lag_ms = int(changes.pop("index_lag_ms"))
            self.faults = replace(self.faults, **changes)
            if limits:
                settings = self.limiter.settings.model_copy(update=limits)
                self.limiter = RateLimiter(
                    RateLimitConfig.model_validate(settings.model_dump())
                )
            return self.fault_settings()

    def clear_faults(self) -> dict[str, Any]:
        with self.lock:
            self.faults = Faults()
            self.index_lag_ms = self._initial_lag
            self.limiter = RateLimiter(self._initial_rate_limit)
            return self.fault_settings()

    def fault_settings(self) -> dict[str, Any]:
        with self.lock:
            return {
                **self.faults.as_json(),
                "index_lag_ms": self.index_lag_ms,
                **self.limiter.settings.model_dump(),
            }

    def set_webhook(self, url: str | None) -> None:
        with self.lock:
            self.webhooks.close()
            self.webhooks = WebhookSender(url)

    def move_issue(self, ref: str, project_key: str, actor: str | None = None) -> str:
        """Move an issue to another project as a person would: new key, same id."""
        with self.lock:
            issue = self._find(ref)
            target = next(
                (p for p in self.config.projects if p.key == project_key), None
            )
            if target is None:
                raise not_found(f"No project could be found with key '{project_key}'.")
            if target.key == issue.project_key:
                return issue.key
            old_key = issue.key
            _, number = self._allocate(target)
            issue.old_keys.append(old_key)
            issue.project_key, issue.number = target.key, number
            self._keys[issue.key] = issue.id
            if issue.issue_type not in target.issue_types:
                issue.issue_type = target.issue_types[0]
            flow = self.config.workflow(target.workflow)
            if issue.status not in flow.statuses:
                issue.status = flow.initial_status
            ctx = self.ctx_for(actor or self._human(), "2")
            self._touched(
                issue,
                ctx,
                [
                    {
                        "field": "Key",
                        "fieldtype": "jira",
                        "fromString": old_key,
                        "toString": issue.key,
                    }
                ],
            )
            return issue.key

    def issue_snapshot(self, ref: str, version: str = "2") -> dict[str, Any]:
        """The issue as the bot would GET it, for assertions in tests."""
        with self.lock:
            ctx = self.ctx_for(self.config.bot_user, version)
            return render.issue(ctx, self._find(ref))

    def ctx_for(self, user: str, version: str) -> Ctx:
        return Ctx(self.config, version, self.base_url, self.config.user(user))

    def _human(self) -> str:
        return next(u.name for u in self.config.users if u.name != self.config.bot_user)

    # -- lookups ---------------------------------------------------------

    def _find(self, ref: str) -> Issue:
        """By id, current key, or a key the issue had before a move."""
        issue_id = int(ref) if ref.isdigit() else self._keys.get(ref.upper())
        issue = self.issues.get(issue_id) if issue_id is not None else None
        if issue is None:
            raise not_found(
                "Issue does not exist or you do not have permission to see it."
            )
        return issue

    def _allocate(self, project: ProjectConfig) -> tuple[int, int]:
        issue_id = self._next_id
        self._next_id += 1
        number = self._numbers.get(project.key, 0) + 1
        self._numbers[project.key] = number
        self._keys[f"{project.key}-{number}"] = issue_id
        return issue_id, number

    # -- reads -----------------------------------------------------------

    def get_issue(self, ctx: Ctx, ref: str, wanted: list[str] | None) -> dict[str, Any]:
        return render.issue(ctx, self._find(ref), wanted)

    def delete_issue(self, ctx: Ctx, ref: str) -> None:
        issue = self._find(ref)
        del self.issues[issue.id]
        for key in [issue.key, *issue.old_keys]:
            self._keys.pop(key, None)
        self._event(
            ctx, issue, "jira:issue_deleted", {"issue_event_type_name": "issue_deleted"}
        )

    def transitions(self, ctx: Ctx, ref: str, with_fields: bool) -> dict[str, Any]:
        issue = self._find(ref)
        project = self._project(issue.project_key)
        flow = self.config.workflow(project.workflow)
        return {
            "expand": "transitions",
            "transitions": [
                workflow.describe(ctx, project, t, with_fields)
                for t in workflow.available(flow, issue.status)
            ],
        }

    def editmeta(self, ctx: Ctx, ref: str) -> dict[str, Any]:
        issue = self._find(ref)
        project = self._project(issue.project_key)
        screen = project.screens_for(issue.issue_type).edit
        return {
            "fields": {
                e["fieldId"]: e for e in meta.screen_fields(ctx, project, screen)
            }
        }

    def search(
        self, ctx: Ctx, text: str, reconcile: set[int] | None = None
    ) -> list[Issue]:
        return search.run(ctx, self.issues, text, reconcile or set())

    # -- hooks used by the mixins ---------------------------------------

    def _created(self, issue: Issue, ctx: Ctx) -> None:
        search.index(self.config, issue, self.index_lag_ms)
        self._event(
            ctx, issue, "jira:issue_created", {"issue_event_type_name": "issue_created"}
        )

    def _touched(self, issue: Issue, ctx: Ctx, items: list[dict[str, Any]]) -> None:
        issue.updated = now()
        search.index(self.config, issue, self.index_lag_ms)
        if items:
            changelog = {"id": str(self._next("changelog")), "items": items}
            extra = {"issue_event_type_name": "issue_updated", "changelog": changelog}
            self._event(ctx, issue, "jira:issue_updated", extra)

    def _comment_event(self, issue: Issue, ctx: Ctx, comment: Comment) -> None:
        shown = render.comment(replace(ctx, version="2"), issue, comment)
        self._event(ctx, issue, "comment_created", {"comment": shown})

    def _event(self, ctx: Ctx, issue: Issue, name: str, extra: dict[str, Any]) -> None:
        if self.webhooks.url is None:
            return
        shown = replace(ctx, version="2", base=self.base_url)
        event = {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": name,
            "user": render.user(shown, ctx.user),
            "issue": render.issue(shown, issue),
            **extra,
        }
        self.webhooks.send(event)


__all__ = ["JiraApiError", "JiraSimStore"]
