"""JiraClient against the Jira simulator over loopback, in both flavours."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.testing import capture_logs

from syncd.errors import (
    AuthError,
    ConfigError,
    MappingError,
    NotFoundError,
    RateLimited,
    RejectedError,
    ServiceUnavailable,
)
from syncd.jira.client import JiraClient
from syncd.jira.models import Flavour, IssueRef
from syncd.sim.jira import create_app, default_config
from syncd.sim.server import LOOPBACK, ServerThread

from .conftest import ADF_DESCRIPTION, WIKI_DESCRIPTION, Site, bot_settings, make_draft

CLOUD_ONLY = pytest.mark.parametrize(
    "running_site", [Flavour.CLOUD], indirect=True, ids=["cloud"]
)
MARKER = {"submission": "ACME-XSS-123", "program": "acme"}


def _create(client: JiraClient, **overrides: object) -> IssueRef:
    draft = make_draft(client.flavour, **overrides)
    return client.create_issue(draft, properties={"syncd": MARKER})


def _warm(client: JiraClient) -> None:
    """Resolve the draft's custom fields now, so only the create meets a fault."""
    client.draft_fields(make_draft(client.flavour))


# -- connecting ---------------------------------------------------------------


def test_flavour_is_detected_from_server_info(site: Site, client: JiraClient) -> None:
    assert client.flavour is site.flavour


def test_myself_is_the_bot_account_id_on_cloud_and_name_on_dc(
    site: Site, client: JiraClient
) -> None:
    expected = {
        Flavour.CLOUD: "5b10a2844c20165700ede21g",
        Flavour.DATA_CENTER: "syncd-bot",
    }

    assert client.myself() == expected[site.flavour]


def test_refused_credentials_raise_auth_error(site: Site) -> None:
    settings = bot_settings(site.url, api_token="wrong", personal_access_token="wrong")

    with JiraClient.connect(settings) as client, pytest.raises(AuthError):
        client.myself()


@CLOUD_ONLY
def test_cloud_without_email_and_api_token_is_a_config_error(site: Site) -> None:
    settings = bot_settings(site.url, email=None, api_token=None)

    with pytest.raises(ConfigError):
        JiraClient.connect(settings)


def test_nothing_listening_is_service_unavailable() -> None:
    with ServerThread(create_app(default_config())) as server:
        url = server.url

    with pytest.raises(ServiceUnavailable):
        JiraClient.connect(bot_settings(url, timeout_seconds=1.0))


# -- creating and reading -----------------------------------------------------


def test_create_issue_sends_every_field_and_property_in_one_post(
    site: Site, client: JiraClient
) -> None:
    ref = client.create_issue(
        make_draft(site.flavour),
        labels_extra=("intigriti-acme-xss-123",),
        properties={"syncd": MARKER},
    )

    assert ref == IssueRef(id="10000", key="SEC-1")
    assert site.writes("POST", "issue") == 1
    assert site.requests_to("POST", "/issue") == 1
    stored = site.store.issues[10000]
    assert stored.properties == {"syncd": MARKER}
    assert stored.fields["labels"] == [
        "intigriti",
        "severity-high",
        "intigriti-acme-xss-123",
    ]
    assert stored.fields["priority"] == "High"


def test_get_issue_shows_what_was_created(site: Site, client: JiraClient) -> None:
    ref = _create(client)

    snapshot = client.get_issue(ref.id)

    assert snapshot.ref == ref
    assert snapshot.project == "SEC"
    assert snapshot.status == "To Do"
    assert snapshot.status_category == "new"
    assert snapshot.summary == "Stored XSS in profile page"
    assert snapshot.labels == ("intigriti", "severity-high")
    assert snapshot.resolution is None
    assert snapshot.updated is not None
    fields = snapshot.fields
    assert fields["priority"]["name"] == "High"
    assert [c["name"] for c in fields["components"]] == ["Web"]
    assert fields["customfield_10100"] == 8.1
    assert fields["customfield_10101"]["value"] == "High"
    assert fields["customfield_10102"] == "ACME-XSS-123"
    # "Severity" exists twice; SEC's create screen shows customfield_10200.
    assert fields["customfield_10200"]["value"] == "S2"
    assert fields["customfield_10201"] is None


def test_description_reaches_jira_as_adf_on_cloud_and_wiki_on_dc(
    site: Site, client: JiraClient
) -> None:
    ref = _create(client)

    description = client.get_issue(ref.id).fields["description"]

    expected = {Flavour.CLOUD: ADF_DESCRIPTION, Flavour.DATA_CENTER: WIKI_DESCRIPTION}
    assert description == expected[site.flavour]


def test_a_name_shared_by_two_fields_resolves_to_the_projects_own(
    client: JiraClient,
) -> None:
    sec = client.resolve_field("SEC", "Bug", "Severity")
    appsec = client.resolve_field("APPSEC", "Vulnerability", "Severity")

    assert (sec.id, appsec.id) == ("customfield_10200", "customfield_10201")


def test_summary_over_255_characters_is_rejected_and_not_retried(
    site: Site, client: JiraClient
) -> None:
    with pytest.raises(RejectedError) as caught:
        _create(client, summary="x" * 256)

    assert caught.value.status_code == 400
    assert "fields: summary" in str(caught.value)
    assert "x" * 20 not in str(caught.value)
    assert site.writes("POST", "issue") == 1


def test_description_over_32767_characters_is_rejected_naming_the_field(
    site: Site, client: JiraClient
) -> None:
    long_text = "A" * 33_000
    description: object = long_text
    if site.flavour is Flavour.CLOUD:
        paragraph = {
            "type": "paragraph",
            "content": [{"type": "text", "text": long_text}],
        }
        description = {"type": "doc", "version": 1, "content": [paragraph]}

    with pytest.raises(RejectedError) as caught:
        _create(client, description=description)

    assert caught.value.status_code == 400
    assert "fields: description" in str(caught.value)
    assert site.writes("POST", "issue") == 1


def test_a_field_not_on_the_create_screen_is_rejected_naming_it(
    client: JiraClient,
) -> None:
    draft = make_draft(
        client.flavour,
        project="APPSEC",
        issue_type="Vulnerability",
        custom_fields={"Affected Asset": "www.acme.test"},
    )

    with pytest.raises(RejectedError) as caught:
        client.create_issue(draft, properties={})

    assert str(caught.value) == (
        "jira create_issue failed with HTTP 400: fields: components"
    )


def test_a_missing_required_field_is_rejected_naming_its_id(
    client: JiraClient,
) -> None:
    draft = make_draft(
        client.flavour,
        project="APPSEC",
        issue_type="Vulnerability",
        components=(),
        custom_fields={},
    )

    with pytest.raises(RejectedError) as caught:
        client.create_issue(draft, properties={})

    assert str(caught.value) == (
        "jira create_issue failed with HTTP 400: fields: customfield_10103"
    )


def test_field_metadata_is_read_once_per_client(site: Site, client: JiraClient) -> None:
    _create(client)
    _create(client)

    assert site.requests_to("GET", "/field") == 1
    assert site.requests_to("GET", "/issue/createmeta/SEC/issuetypes") == 1
    assert site.requests_to("GET", "/issue/createmeta/SEC/issuetypes/10004") == 1


def test_unknown_custom_field_name_lists_candidates_and_sends_nothing(
    site: Site, client: JiraClient
) -> None:
    draft = make_draft(site.flavour, custom_fields={"CVSS": 9.0})

    with pytest.raises(MappingError) as caught:
        client.create_issue(draft, properties={})

    assert str(caught.value) == (
        "Jira has no field named 'CVSS'; candidates: 'CVSS Score'"
    )
    assert site.writes("POST", "issue") == 0


def test_a_draft_rendered_for_the_other_flavour_is_refused(
    site: Site, client: JiraClient
) -> None:
    other = next(f for f in Flavour if f is not site.flavour)

    with pytest.raises(MappingError):
        client.create_issue(make_draft(other), properties={})

    assert site.writes("POST", "issue") == 0


def test_update_issue_sets_only_the_fields_given(
    site: Site, client: JiraClient
) -> None:
    ref = _create(client)

    client.update_issue(ref.id, {"summary": "Stored XSS (fixed)", "labels": ["x"]})

    snapshot = client.get_issue(ref.id)
    assert (snapshot.summary, snapshot.labels) == ("Stored XSS (fixed)", ("x",))
    assert snapshot.fields["priority"]["name"] == "High"
    assert site.writes("PUT", "issue/{issue}") == 1


def test_deleted_issue_raises_not_found(site: Site, client: JiraClient) -> None:
    ref = _create(client)
    site.store.delete_issue(site.store.ctx_for("alice", "2"), ref.id)

    with pytest.raises(NotFoundError):
        client.get_issue(ref.id)
    with pytest.raises(NotFoundError):
        client.update_issue(ref.id, {"summary": "gone"})
    with pytest.raises(NotFoundError):
        client.get_property(ref.id, "syncd")


def test_moved_issue_keeps_its_id_and_shows_its_new_key(
    site: Site, client: JiraClient
) -> None:
    ref = _create(client, components=())
    new_key = site.store.move_issue(ref.id, "MOBILE")

    snapshot = client.get_issue(ref.id)

    assert (snapshot.id, snapshot.key, new_key) == (ref.id, "MOBILE-1", "MOBILE-1")


# -- what hangs off an issue ----------------------------------------------------


def test_properties_round_trip_and_a_missing_one_is_none(
    client: JiraClient,
) -> None:
    ref = _create(client)

    client.set_property(ref.id, "syncd.cursor", {"seen": 3})

    assert client.get_property(ref.id, "syncd") == MARKER
    assert client.get_property(ref.id, "syncd.cursor") == {"seen": 3}
    assert client.get_property(ref.id, "never-set") is None


def test_remote_link_with_the_same_global_id_is_updated_not_added(
    site: Site, client: JiraClient
) -> None:
    ref = _create(client)
    url = "https://app.intigriti.com/company/submissions/acme/ACME-XSS-123"

    first = client.add_remote_link(ref.id, "intigriti:ACME-XSS-123", url, "Old")
    second = client.add_remote_link(ref.id, "intigriti:ACME-XSS-123", url, "New")

    links = site.store.issues[int(ref.id)].remote_links
    assert first == second
    assert [(link.global_id, link.object["title"]) for link in links] == [
        ("intigriti:ACME-XSS-123", "New")
    ]
    assert site.requests_to("GET", "/applicationlinks") == 0


def test_comment_with_visibility_stays_internal(site: Site, client: JiraClient) -> None:
    ref = _create(client)
    body = ADF_DESCRIPTION if site.flavour is Flavour.CLOUD else "Triaged."

    comment_id = client.add_comment(
        ref.id, body, visibility={"type": "role", "value": "Developers"}
    )

    stored = site.store.issues[int(ref.id)].comments
    assert [(c.id, c.visibility) for c in stored] == [
        (comment_id, {"type": "role", "value": "Developers"})
    ]


def test_transition_moves_the_issue_to_the_target_status(
    client: JiraClient,
) -> None:
    ref = _create(client)

    available = client.transitions(ref.id)
    done = next(t for t in available if t.to_category == "done")
    client.transition(ref.id, done.id, fields={"resolution": {"name": "Done"}})

    assert [(t.id, t.to_status) for t in available] == [
        ("11", "In Progress"),
        ("21", "Done"),
    ]
    snapshot = client.get_issue(ref.id)
    assert (snapshot.status, snapshot.status_category) == ("Done", "done")
    assert snapshot.resolution == "Done"


# -- search -------------------------------------------------------------------


def test_label_search_may_miss_a_fresh_issue_that_get_by_id_sees(
    site: Site, client: JiraClient
) -> None:
    site.store.set_faults(index_lag_ms=60_000)
    ref = client.create_issue(
        make_draft(site.flavour),
        labels_extra=("intigriti-acme-xss-123",),
        properties={},
    )

    assert client.find_issues_by_label("intigriti-acme-xss-123") == []
    assert "intigriti-acme-xss-123" in client.get_issue(ref.id).labels


@CLOUD_ONLY
def test_cloud_search_reconciles_issues_written_a_moment_ago(
    site: Site, client: JiraClient
) -> None:
    site.store.set_faults(index_lag_ms=60_000)
    ref = _create(client)

    found = client.search("labels = intigriti", reconcile_ids=[ref.id])

    assert [hit.ref for hit in found] == [ref]


def test_find_issues_by_label_finds_indexed_issues(client: JiraClient) -> None:
    ref = client.create_issue(
        make_draft(client.flavour), labels_extra=("intigriti-a",), properties={}
    )
    _create(client)

    assert client.find_issues_by_label("intigriti-a") == [ref]


def test_search_reads_every_page(site: Site, client: JiraClient) -> None:
    refs = [_create(client, summary=f"Finding {n}") for n in range(5)]

    found = client.search(
        "project = SEC ORDER BY key ASC", fields=("summary",), page_size=2
    )

    assert [hit.ref for hit in found] == refs
    assert [hit.fields["summary"] for hit in found] == [
        f"Finding {n}" for n in range(5)
    ]
    endpoint = "/search/jql" if site.flavour is Flavour.CLOUD else "/search"
    assert site.requests_to("GET", endpoint) == 3


# -- failures -----------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after_seconds_and_not_retried(
    site: Site, client: JiraClient
) -> None:
    _warm(client)
    site.store.set_faults(error_rate=1.0, error_status=429, retry_after_s=7)

    with pytest.raises(RateLimited) as caught:
        _create(client)

    assert caught.value.retry_after == 7.0
    assert site.writes("POST", "issue") == 1


def test_cloud_burst_limit_is_rate_limited_with_its_retry_after(
    site: Site, client: JiraClient
) -> None:
    site.store.set_faults(burst_per_second=0.5, burst_capacity=1)
    _create(client)

    with pytest.raises(RateLimited) as caught:
        _create(client)

    # Whole seconds until the bucket refills, less however long the two took.
    assert caught.value.retry_after in (3.0, 4.0)
    assert site.writes("POST", "issue") == 2


def test_503_is_service_unavailable_and_the_post_is_not_retried(
    site: Site, client: JiraClient
) -> None:
    _warm(client)
    site.store.set_faults(error_rate=1.0, error_status=503, retry_after_s=1)

    with pytest.raises(ServiceUnavailable):
        _create(client)

    assert site.writes("POST", "issue") == 1


def test_a_dropped_connection_is_service_unavailable_and_not_retried(
    site: Site, client: JiraClient
) -> None:
    _warm(client)
    site.store.set_faults(drop_rate=1.0)

    with pytest.raises(ServiceUnavailable):
        _create(client)

    assert site.requests_to("POST", "/issue") == 1


def test_a_slow_answer_times_out_as_service_unavailable(site: Site) -> None:
    client = JiraClient.connect(bot_settings(site.url, timeout_seconds=0.2))
    site.store.set_faults(latency_ms=1_000)

    with client, pytest.raises(ServiceUnavailable):
        client.myself()


def test_failures_are_logged_with_status_but_no_body(
    site: Site, client: JiraClient
) -> None:
    with capture_logs() as logs, pytest.raises(RejectedError):
        _create(client, summary="secret payload " * 20)

    assert logs == [
        {
            "event": "jira.request_failed",
            "log_level": "warning",
            "operation": "create_issue",
            "jira_id": None,
            "status_code": 400,
            "error": "RejectedError",
        }
    ]


def test_creation_is_logged_with_id_and_key(client: JiraClient) -> None:
    with capture_logs() as logs:
        _create(client)

    assert logs == [
        {
            "event": "jira.issue_created",
            "log_level": "info",
            "operation": "create_issue",
            "jira_id": "10000",
            "jira_key": "SEC-1",
        }
    ]


# -- Retry-After as an HTTP-date --------------------------------------------------


class RetryAfterAsDate:
    """Rewrite the simulator's ``Retry-After: <seconds>`` into the date form."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _dated(message["headers"])}
            await send(message)

        await self.app(scope, receive, send_dated)


def _dated(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    out = []
    for name, value in headers:
        if name.lower() == b"retry-after":
            moment = datetime.now(UTC) + timedelta(seconds=int(value))
            value = format_datetime(moment, usegmt=True).encode()
        out.append((name, value))
    return out


@pytest.fixture(params=list(Flavour), ids=lambda f: f.value)
def dated_site(request: pytest.FixtureRequest) -> Iterator[Site]:
    app = create_app(default_config(request.param.value))
    with ServerThread(RetryAfterAsDate(app)) as server:
        yield Site(request.param, server.url, app.state.sim)


def test_429_with_an_http_date_retry_after_gives_the_seconds_left(
    dated_site: Site,
) -> None:
    with JiraClient.connect(dated_site.settings) as client:
        _warm(client)
        dated_site.store.set_faults(error_rate=1.0, error_status=429, retry_after_s=30)

        with pytest.raises(RateLimited) as caught:
            _create(client)

    assert caught.value.retry_after is not None
    assert 28.0 < caught.value.retry_after <= 30.0
    assert dated_site.writes("POST", "issue") == 1


# -- a connection dropped before any answer -------------------------------------


class HangUpHandler(socketserver.StreamRequestHandler):
    """Answer ``serverInfo`` as Data Center; close every other request unanswered."""

    server: HangUpServer

    def handle(self) -> None:
        request_line = self.rfile.readline().decode()
        length = 0
        while (line := self.rfile.readline().decode().strip()) != "":
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        self.rfile.read(length)
        method, path, _ = request_line.split(" ", 2)
        self.server.seen.append((method, path))
        if path.endswith("/serverInfo"):
            body = json.dumps({"deploymentType": "Server"}).encode()
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            self.wfile.write(head.encode() + body)


class HangUpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    seen: list[tuple[str, str]]


@pytest.fixture
def hang_up_server() -> Iterator[HangUpServer]:
    server = HangUpServer((LOOPBACK, 0), HangUpHandler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_post_whose_connection_drops_is_sent_once(
    hang_up_server: HangUpServer,
) -> None:
    url = f"http://{LOOPBACK}:{hang_up_server.server_address[1]}"

    with (
        JiraClient.connect(bot_settings(url)) as client,
        pytest.raises(ServiceUnavailable),
    ):
        client.add_comment("10000", "Triaged.")

    assert hang_up_server.seen == [
        ("GET", "/rest/api/2/serverInfo"),
        ("POST", "/rest/api/2/issue/10000/comment"),
    ]
