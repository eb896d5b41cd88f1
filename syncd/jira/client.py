"""The daemon's one way to talk to Jira Cloud and Jira Data Center.

A thin, blocking wrapper over the ``jira`` library (pycontribs): call it from
a worker thread, never from the event loop. ``connection`` logs in (retries
off, timeout on, flavour detected); the library then serves reads (issue,
fields, properties, transitions, both search endpoints). Writes whose request
the library cannot shape go through its session (``_send``), so they keep
its auth and timeout:

- create: the library's ``create_issue`` sends ``fields`` only, no
  ``properties``, and resolves project and issue type with extra GETs;
- edit: ``Issue.update`` reloads the issue after the PUT, so a failed reload
  would report a write that happened as failed;
- remote link: ``add_remote_link`` first lists ``applicationlinks`` (an
  admin-only GET) and warns when it may not;
- comment and transition: ``add_comment`` types the body as ``str`` (Cloud's
  is an ADF dict); ``transition_issue`` looks names up with another GET.

Rich text is passed through as the caller rendered it: ADF on Cloud (spoken
to through ``/rest/api/3``), wiki markup on Data Center (``/rest/api/2``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, BinaryIO

import structlog
from jira import JIRA
from jira.utils import json_loads
from requests_toolbelt import MultipartEncoder  # type: ignore[import-untyped]  # no stubs

from syncd.errors import AuthError, MappingError, NotFoundError
from syncd.jira.connection import open_jira
from syncd.jira.errors import translated
from syncd.jira.fields import (
    FieldCatalog,
    FieldInfo,
    ambiguous,
    pick,
    shape_value,
)
from syncd.jira.issues import FoundIssue, IssueSnapshot, Transition
from syncd.jira.models import Flavour, IssueRef
from syncd.jira.retrying import RetryPolicy
from syncd.mapping.draft import IssueDraft
from syncd.settings import JiraSettings

log = structlog.get_logger(__name__)

DEFAULT_PAGE_SIZE = 100


def _jql_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


class JiraClient:
    """Issues, comments, links and properties on one Jira site."""

    def __init__(
        self,
        jira: JIRA,
        flavour: Flavour,
        server_url: str,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._jira = jira
        self._retry = retry or RetryPolicy()
        self.flavour = flavour
        self._server_url = server_url.rstrip("/")
        self._catalog: FieldCatalog | None = None
        self._screens: dict[tuple[str, str], set[str]] = {}
        self._upload_limit: tuple[int] | None = None

    @classmethod
    def connect(cls, settings: JiraSettings) -> JiraClient:
        """Detect the flavour with one ``serverInfo`` call, then log in for it."""
        jira, flavour = open_jira(settings)
        retry = RetryPolicy(
            attempts=settings.retry_attempts,
            initial_seconds=settings.retry_initial_seconds,
            max_seconds=settings.retry_max_seconds,
        )
        return cls(jira, flavour, str(settings.url), retry)

    def add_response_hook(self, hook: Callable[..., Any]) -> None:
        """Call ``hook(response)`` after every response, e.g. for metrics.

        Every request, the library's and ``_send``'s, goes through the
        library's one ``requests`` session.
        """
        self._jira._session.hooks["response"].append(hook)

    def close(self) -> None:
        self._jira.close()  # type: ignore[no-untyped-call]  # library leaves it bare

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def browse_url(self, key: str) -> str:
        return f"{self._server_url}/browse/{key}"

    def myself(self) -> str:
        """The bot's account: Cloud ``accountId``, Data Center user ``name``."""

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-myself/
        def read() -> Any:
            with translated("myself"):
                return self._jira.myself()

        user = self._retry.call("myself", read)
        field = "accountId" if self.flavour is Flavour.CLOUD else "name"
        return str(user[field])

    # -- issues ------------------------------------------------------------

    def draft_fields(
        self, draft: IssueDraft, labels_extra: Iterable[str] = ()
    ) -> dict[str, Any]:
        """The draft as Jira field ids and values, custom fields resolved.

        Project and issue type are left out: they are set on create only.
        The engine may diff two of these and pass the changes to
        ``update_issue``.
        """
        if draft.flavour != self.flavour:
            raise MappingError(
                f"draft rendered for {draft.flavour}, but Jira is {self.flavour}"
            )

        fields: dict[str, Any] = {
            "summary": draft.summary,
            "description": draft.description,
        }
        if draft.priority is not None:
            fields["priority"] = {"name": draft.priority}
        labels = list(dict.fromkeys([*draft.labels, *labels_extra]))
        if labels:
            fields["labels"] = labels
        if draft.components:
            fields["components"] = [{"name": name} for name in draft.components]
        for name, value in draft.custom_fields.items():
            info = self.resolve_field(draft.project, draft.issue_type, name)
            fields[info.id] = shape_value(info, value, self.flavour)
        return fields

    def create_issue(
        self,
        draft: IssueDraft,
        *,
        labels_extra: Iterable[str] = (),
        properties: Mapping[str, Any],
    ) -> IssueRef:
        """Create the issue with every field and property in one POST.

        One request means no half-made issue: either Jira has all of it or
        none of it. The answer holds only ``id`` and ``key``; nothing is
        fetched afterwards (what ``prefetch=False`` gives in the library).
        """
        fields = {
            "project": {"key": draft.project},
            "issuetype": {"name": draft.issue_type},
            **self.draft_fields(draft, labels_extra),
        }
        payload = {
            "fields": fields,
            "properties": [{"key": k, "value": v} for k, v in properties.items()],
        }

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
        with translated("create_issue"):
            answer = self._send("POST", "issue", payload)
        ref = IssueRef(id=str(answer["id"]), key=str(answer["key"]))

        log.info(
            "jira.issue_created",
            operation="create_issue",
            jira_id=ref.id,
            jira_key=ref.key,
        )
        return ref

    def get_issue(self, issue_id: str) -> IssueSnapshot:
        """The issue by id, read directly (JQL's index may lag behind)."""

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get
        def read() -> Any:
            with translated("get_issue", issue_id):
                return self._send("GET", f"issue/{issue_id}")

        return IssueSnapshot.from_raw(self._retry.call("get_issue", read))

    def update_issue(self, issue_id: str, fields: Mapping[str, Any]) -> None:
        """Set the given fields (Jira field ids) and nothing else."""
        if not fields:
            return

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-put
        def write() -> None:
            with translated("update_issue", issue_id):
                self._send("PUT", f"issue/{issue_id}", {"fields": dict(fields)})

        self._retry.call("update_issue", write)

    def transitions(self, issue_id: str) -> list[Transition]:
        """Transitions available from the current status, with their screens."""

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-get
        def read() -> Any:
            with translated("transitions", issue_id):
                return self._jira.transitions(issue_id, expand="transitions.fields")

        raw = self._retry.call("transitions", read)
        return [Transition.from_raw(item) for item in raw]

    def transition(
        self,
        issue_id: str,
        transition_id: str,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        """Perform one transition; fields only if its screen has them."""
        payload: dict[str, Any] = {"transition": {"id": transition_id}}
        if fields:
            payload["fields"] = dict(fields)
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-post
        with translated("transition", issue_id):
            self._send("POST", f"issue/{issue_id}/transitions", payload)

    # -- what hangs off an issue -------------------------------------------

    def add_comment(
        self,
        issue_id: str,
        body: str | dict[str, Any],
        visibility: Mapping[str, str] | None = None,
    ) -> str:
        """Add a comment (ADF on Cloud, wiki on DC); return its id.

        ``visibility`` is ``{"type": "role" | "group", "value": name}`` and
        keeps the comment internal.
        """
        payload: dict[str, Any] = {"body": body}
        if visibility is not None:
            payload["visibility"] = dict(visibility)
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-post
        with translated("add_comment", issue_id):
            answer = self._send("POST", f"issue/{issue_id}/comment", payload)
        return str(answer["id"])

    def add_remote_link(
        self, issue_id: str, global_id: str, url: str, title: str
    ) -> str:
        """Create or update (same ``global_id``) a web link; return its id."""
        payload = {"globalId": global_id, "object": {"url": url, "title": title}}

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-remote-links/#api-rest-api-3-issue-issueidorkey-remotelink-post
        def upsert() -> Any:
            with translated("add_remote_link", issue_id):
                return self._send("POST", f"issue/{issue_id}/remotelink", payload)

        answer = self._retry.call("add_remote_link", upsert)
        return str(answer["id"])

    def set_property(self, issue_id: str, key: str, value: Any) -> None:
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-properties/#api-rest-api-3-issue-issueidorkey-properties-propertykey-put
        def write() -> None:
            with translated("set_property", issue_id):
                self._jira.add_issue_property(issue_id, key, value)

        self._retry.call("set_property", write)

    def get_property(self, issue_id: str, key: str) -> Any | None:
        """The property's value, or ``None`` if the issue has no such property.

        Jira answers 404 both for a missing property and a missing issue;
        only in that case is the issue itself read, so that a deleted issue
        still raises ``NotFoundError``.
        """

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-properties/#api-rest-api-3-issue-issueidorkey-properties-propertykey-get
        def read() -> Any:
            with translated("get_property", issue_id, expected=(404,)):
                return self._jira.issue_property(issue_id, key)

        def exists() -> None:
            with translated("get_issue", issue_id):
                self._send("GET", f"issue/{issue_id}", params={"fields": "summary"})

        try:
            found = self._retry.call("get_property", read)
        except NotFoundError:
            self._retry.call("get_issue", exists)
            return None
        return found.raw.get("value")

    # -- search ------------------------------------------------------------

    def find_issues_by_label(self, label: str) -> list[IssueRef]:
        """Issues carrying ``label``, as JQL sees them (may lag behind writes)."""
        hits = self.search(f"labels = {_jql_string(label)}", fields=("labels",))
        return [hit.ref for hit in hits]

    def search(
        self,
        jql: str,
        fields: Sequence[str] = ("summary",),
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        reconcile_ids: Sequence[str] = (),
    ) -> list[FoundIssue]:
        """Every issue ``jql`` matches, all pages read.

        ``reconcile_ids`` (Cloud only) asks Jira to read those issues
        consistently, so that ones written a moment ago are not missed.
        """
        if self.flavour is Flavour.CLOUD:
            pages = self._search_cloud(jql, fields, page_size, reconcile_ids)
        else:
            pages = self._search_datacenter(jql, fields, page_size)
        return [FoundIssue.from_raw(raw) for raw in pages]

    def _search_cloud(
        self,
        jql: str,
        fields: Sequence[str],
        page_size: int,
        reconcile_ids: Sequence[str],
    ) -> list[dict[str, Any]]:
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._retry.call(
                "search",
                partial(
                    self._page,
                    self._jira.enhanced_search_issues,
                    jql,
                    nextPageToken=token,
                    maxResults=page_size,
                    fields=list(fields),
                    reconcileIssues=[int(i) for i in reconcile_ids] or None,
                    json_result=True,
                ),
            )
            found.extend(page.get("issues", []))
            token = page.get("nextPageToken")
            if not token or page.get("isLast", False):
                return found

    def _search_datacenter(
        self, jql: str, fields: Sequence[str], page_size: int
    ) -> list[dict[str, Any]]:
        # https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search-search
        found: list[dict[str, Any]] = []
        while True:
            start = len(found)
            page = self._retry.call(
                "search",
                partial(
                    self._page,
                    self._jira.search_issues,
                    jql,
                    startAt=start,
                    maxResults=page_size,
                    fields=list(fields),
                    json_result=True,
                ),
            )
            issues = page.get("issues", [])
            found.extend(issues)
            total = page.get("total")
            if not issues or (total is not None and len(found) >= total):
                return found

    @staticmethod
    def _page(search: Callable[..., Any], jql: str, **options: Any) -> Any:
        with translated("search"):
            return search(jql, **options)

    # -- custom fields -------------------------------------------------------

    def resolve_field(self, project: str, issue_type: str, name: str) -> FieldInfo:
        """The field called ``name`` that issues of this project/type use.

        ``GET /field`` is read once per client. Only when several fields
        share the name is the create screen asked which one it shows.
        """
        catalog = self._field_catalog()
        found = catalog.candidates(name)
        if not found:
            raise catalog.unknown(name)
        if len(found) == 1:
            return found[0]

        chosen = pick(found, self._create_screen(project, issue_type))
        if chosen is None:
            raise ambiguous(name, found, project)
        return chosen

    def create_only_ids(self, draft: IssueDraft) -> frozenset[str]:
        """Ids of the draft's fields owned by Jira once the issue exists.

        The engine leaves these out of updates (``owner: jira`` in a mapping).
        """
        return frozenset(
            (
                self.resolve_field(draft.project, draft.issue_type, name).id
                if name in draft.custom_fields
                else name
            )
            for name in draft.create_only
        )

    # -- metadata, read by `syncd mapping check` -------------------------------

    def field_catalog(self) -> FieldCatalog:
        """Every field of the site (``GET /field``), read once per client."""
        return self._field_catalog()

    def create_meta_issue_types(self, project: str) -> list[dict[str, Any]]:
        """Issue types one can create in ``project``; NotFoundError if none."""
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-createmeta-projectidorkey-issuetypes-get
        return self._pages(
            f"issue/createmeta/{project}/issuetypes",
            ("issueTypes", "createMetaIssueType", "values"),
        )

    def create_meta_fields(
        self, project: str, issue_type_id: str
    ) -> list[dict[str, Any]]:
        """The create screen's fields, with ``required`` and ``allowedValues``."""
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-createmeta-projectidorkey-issuetypes-issuetypeid-get
        return self._pages(
            f"issue/createmeta/{project}/issuetypes/{issue_type_id}",
            ("fields", "results", "values"),
        )

    def _field_catalog(self) -> FieldCatalog:
        if self._catalog is None:
            # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get
            with translated("fields"):
                self._catalog = FieldCatalog.from_raw(self._jira.fields())
        return self._catalog

    def _create_screen(self, project: str, issue_type: str) -> set[str]:
        """Field ids on the create screen of one project and issue type."""
        cached = self._screens.get((project, issue_type))
        if cached is not None:
            return cached

        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-createmeta-projectidorkey-issuetypes-get
        base = f"issue/createmeta/{project}/issuetypes"
        types = self._pages(base, ("issueTypes", "createMetaIssueType", "values"))
        type_id = next((t["id"] for t in types if t.get("name") == issue_type), None)
        if type_id is None:
            raise MappingError(f"project {project} has no issue type {issue_type!r}")
        screen = self._pages(f"{base}/{type_id}", ("fields", "results", "values"))
        field_ids = {str(f.get("fieldId") or f.get("key")) for f in screen}

        self._screens[(project, issue_type)] = field_ids
        return field_ids

    def _pages(self, path: str, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Every item of a ``startAt``-paged list, whatever its key is called."""
        items: list[dict[str, Any]] = []
        while True:
            with translated("createmeta"):
                page = self._send("GET", path, params={"startAt": len(items)})
            batch: list[dict[str, Any]] = next((page[k] for k in keys if k in page), [])
            items.extend(batch)
            total = page.get("total")
            if not batch or page.get("isLast") or total is None or len(items) >= total:
                return items

    # -- attachments -----------------------------------------------------------

    def attachment_limit(self) -> int | None:
        """The site's upload limit in bytes, or None when Jira does not say."""
        if self._upload_limit is None:
            # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-attachments/#api-rest-api-3-attachment-meta-get
            try:
                with translated("attachment_meta", expected=(403, 404)):
                    meta = self._send("GET", "attachment/meta")
            except (AuthError, NotFoundError):
                meta = {}
            limit = meta.get("uploadLimit") if isinstance(meta, Mapping) else None
            self._upload_limit = (limit if isinstance(limit, int) else 0,)
        found = self._upload_limit[0]
        return found or None

    def add_attachment(
        self, issue_id: str, filename: str, stream: BinaryIO, size: int
    ) -> str:
        """Upload one file, streamed from ``stream``; return the attachment id.

        Sent once, never retried here: a lost answer may hide a stored file
        (callers look for it with ``attachments`` before sending again).
        Over the site limit Jira answers 413 (a ``RejectedError``), unlogged.
        """
        encoder = MultipartEncoder(
            fields={"file": (filename, stream, "application/octet-stream")}
        )
        headers = {
            "Content-Type": encoder.content_type,
            # Jira refuses multipart posts without it (XSRF check).
            "X-Atlassian-Token": "no-check",
        }
        url = self._jira._get_url(f"issue/{issue_id}/attachments")
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-attachments/#api-rest-api-3-issue-issueidorkey-attachments-post
        with translated("add_attachment", issue_id, expected=(413,)):
            response = self._jira._session.request(
                "POST", url, data=encoder, headers=headers
            )
            answer = json_loads(response)
        attachment_id = str(answer[0]["id"])
        log.info(
            "jira.attachment_added",
            operation="add_attachment",
            jira_id=issue_id,
            attachment_id=attachment_id,
            size=size,
        )
        return attachment_id

    def attachments(self, issue_id: str) -> list[tuple[str, str]]:
        """``(id, filename)`` of every attachment of the issue."""
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get
        with translated("get_issue", issue_id):
            issue = self._send(
                "GET", f"issue/{issue_id}", params={"fields": "attachment"}
            )
        found = issue.get("fields", {}).get("attachment") or []
        return [(str(item["id"]), str(item["filename"])) for item in found]

    # -- the one way under the library ---------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """One request through the library's session (auth, timeout, no retry)."""
        url = self._jira._get_url(path)
        data = None if payload is None else json.dumps(payload)
        response = self._jira._session.request(method, url, params=params, data=data)
        return json_loads(response)
