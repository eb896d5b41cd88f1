"""JQL search over a lagging index, paged the Cloud way or the DC way.

Each write appends an index entry that becomes visible `index_lag_ms`
later; until then JQL sees the issue's previous entry (or nothing, for a
new issue) while `GET /issue` is immediate. Cloud's `reconcileIssues`
reads the listed ids from the live issue instead.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from syncd.sim.jira import jql, jql_eval, render
from syncd.sim.jira.config import JiraSimConfig
from syncd.sim.jira.errors import JiraApiError
from syncd.sim.jira.model import IndexEntry, Issue, now
from syncd.sim.jira.render import CATEGORIES, Ctx

DC_MAX_RESULTS = 100
CLOUD_MAX_RESULTS = 5000


def _aliases(*names: str | None) -> frozenset[str]:
    return frozenset(n.lower() for n in names if n)


def document(config: JiraSimConfig, issue: Issue) -> dict[str, Any]:
    """What the index stores for `issue` at this moment."""
    project = next(p for p in config.projects if p.key == issue.project_key)
    status = config.status(issue.status)
    category = CATEGORIES[status.category]
    priority = next(
        (p for p in config.priorities if p.name == issue.fields.get("priority")), None
    )
    resolution = next(
        (r for r in config.resolutions if r.name == issue.resolution), None
    )
    issue_type = config.issue_type(issue.issue_type)
    keys = [issue.key, *issue.old_keys]
    ranks = [p.name for p in config.priorities]
    return {
        "project": _aliases(project.key, project.id, project.name),
        "_keys": [issue.id]
        + [(k.rsplit("-", 1)[0].lower(), int(k.rsplit("-", 1)[1])) for k in keys],
        "issuekey": frozenset(keys),
        "id": issue.id,
        "labels": _aliases(*issue.fields.get("labels", [])),
        "status": _aliases(status.name, status.id),
        "statuscategory": _aliases(
            category["key"], category["name"], str(category["id"])
        ),
        "resolution": _aliases(resolution.name, resolution.id)
        if resolution
        else frozenset(),
        "issuetype": _aliases(issue_type.name, issue_type.id),
        "priority": _aliases(priority.name, priority.id) if priority else frozenset(),
        "created": issue.created,
        "updated": issue.updated,
        "resolved": issue.resolution_date,
        "_sort": {
            "project": project.key,
            "issuekey": (project.key, issue.number),
            "id": issue.id,
            "labels": " ".join(sorted(issue.fields.get("labels", []))),
            "status": status.name,
            "statuscategory": category["id"],
            "resolution": issue.resolution or "",
            "issuetype": issue_type.name,
            "priority": ranks.index(priority.name) if priority else len(ranks),
            "created": issue.created.timestamp(),
            "updated": issue.updated.timestamp(),
            "resolved": issue.resolution_date.timestamp()
            if issue.resolution_date
            else 0.0,
        },
    }


def index(config: JiraSimConfig, issue: Issue, lag_ms: int) -> None:
    entry = IndexEntry(time.time() + lag_ms / 1000, document(config, issue))
    moment = time.time()
    # Entries already visible before the newest visible one are dead weight.
    visible = [e for e in issue.index if e.visible_at <= moment]
    issue.index = [
        *visible[-1:],
        *[e for e in issue.index if e.visible_at > moment],
        entry,
    ]


def visible_document(
    issue: Issue, reconcile: bool, config: JiraSimConfig
) -> dict[str, Any] | None:
    if reconcile:
        return document(config, issue)
    moment = time.time()
    seen = [e for e in issue.index if e.visible_at <= moment]
    return seen[-1].document if seen else None


def _context(ctx: Ctx, issues: Iterable[Issue]) -> jql_eval.SearchContext:
    config = ctx.config
    all_keys = {k for i in issues for k in (i.key, *i.old_keys)}
    known = {
        "project": {v.lower() for p in config.projects for v in (p.key, p.id, p.name)},
        "status": {v.lower() for s in config.statuses for v in (s.name, s.id)},
        "statuscategory": {
            str(v).lower()
            for c in CATEGORIES.values()
            for v in (c["key"], c["name"], c["id"])
        },
        "resolution": {v.lower() for r in config.resolutions for v in (r.name, r.id)}
        | {"unresolved"},
        "issuetype": {v.lower() for t in config.issue_types for v in (t.name, t.id)},
        "priority": {v.lower() for p in config.priorities for v in (p.name, p.id)},
    }
    return jql_eval.SearchContext(
        time_zone=ZoneInfo(ctx.user.time_zone),
        now=now(),
        known=known,
        key_exists=lambda key: key in all_keys,
    )


def run(
    ctx: Ctx, issues: dict[int, Issue], text: str, reconcile: set[int]
) -> list[Issue]:
    """All issues matching `text` in order; 400 for anything JQL refuses."""
    try:
        query = jql.parse(text)
        matches, order = jql_eval.compile_query(query, _context(ctx, issues.values()))
    except jql.JqlError as error:
        raise JiraApiError(400, [str(error)]) from error
    documents = []
    for issue in issues.values():
        doc = visible_document(issue, issue.id in reconcile, ctx.config)
        if doc is not None and matches(doc):
            documents.append(doc)
    return [issues[d["id"]] for d in order(documents)]


def _page_size(value: Any, ceiling: int) -> int:
    try:
        size = int(value) if value is not None else 50
    except (TypeError, ValueError) as error:
        raise JiraApiError(400, ["maxResults must be a number."]) from error
    return max(0, min(size, ceiling))


def dc_page(
    ctx: Ctx,
    found: list[Issue],
    start_at: Any,
    max_results: Any,
    wanted: list[str] | None,
) -> dict[str, Any]:
    """`/rest/api/2/search`: offset paging with `total`."""
    start = int(start_at or 0)
    size = _page_size(max_results, DC_MAX_RESULTS)
    chosen = found[start : start + size]
    return {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": size,
        "total": len(found),
        "issues": [render.issue(ctx, i, wanted, "*navigable") for i in chosen],
    }


def cloud_page(
    ctx: Ctx,
    found: list[Issue],
    token: str | None,
    max_results: Any,
    wanted: list[str] | None,
) -> dict[str, Any]:
    """`/rest/api/3/search/jql`: `nextPageToken` paging, no `total`."""
    start = _decode_token(token)
    size = _page_size(max_results, CLOUD_MAX_RESULTS)
    chosen = found[start : start + size]
    body: dict[str, Any] = {
        "issues": [render.issue(ctx, i, wanted or ["id"], "id") for i in chosen],
        "isLast": start + size >= len(found),
    }
    if not body["isLast"]:
        body["nextPageToken"] = _encode_token(start + size)
    return body


def _encode_token(offset: int) -> str:
    stamp = datetime.now().isoformat()
    return base64.urlsafe_b64encode(f"{offset}|{stamp}".encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode().split("|")[0])
    except (ValueError, UnicodeDecodeError) as error:
        raise JiraApiError(400, ["The provided next page token is invalid."]) from error
