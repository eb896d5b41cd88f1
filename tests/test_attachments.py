"""Report attachments into Jira: streamed once each, no token, no SSRF."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd.attachment_records import AttachmentRecords
from syncd.attachments import AttachmentSync
from syncd.engine import Outcome
from syncd.intigriti.files import (
    FileFetcher,
    FileRefused,
    FileTooLarge,
    address_allowed,
    host_allowed,
    safe_filename,
)
from syncd.intigriti.models import Attachment, Submission
from syncd.jira.models import IssueRef
from syncd.runtime import Runtime, open_runtime
from syncd.settings import Settings
from syncd.sim.intigriti.files import content
from syncd.sim.runner import Simulators

from .conftest import MAPPING_DIR, settings_from_env

LOOPBACK_ONLY = {
    "SYNCD_ATTACHMENTS__ALLOWED_HOSTS": '["127.0.0.1", "files.example.net"]',
    "SYNCD_ATTACHMENTS__ALLOWED_SCHEMES": '["http", "https"]',
    "SYNCD_ATTACHMENTS__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
}
PAYLOAD = b"PNG-ish bytes " * 100


def attachment_settings(
    simulators: Simulators, redis_url: str, **extra: str
) -> Settings:
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    # The engine leaves attachments alone here: each test drives its own
    # AttachmentSync. test_the_engine_carries_attachments covers the hook.
    engine_off = {"SYNCD_ATTACHMENTS__ENABLED": "false"}
    return settings_from_env({**env, **LOOPBACK_ONLY, **engine_off, **extra})


@dataclass
class Setup:
    runtime: Runtime
    sync: AttachmentSync
    code: str
    issue: IssueRef


@contextmanager
def synced_submission(
    simulators: Simulators,
    settings: Settings,
    attachments: int = 2,
    resolver: Any = None,
) -> Iterator[Setup]:
    """One new submission with attachments, its issue created by the engine."""
    code = simulators.intigriti.create_submission(
        {"attachments": attachments, "status": "triage"}
    )
    with open_runtime(settings) as runtime:
        runtime.engine.run_cycle()
        issue = runtime.state.link(code)
        assert issue is not None
        kwargs = {"resolver": resolver} if resolver else {}
        files = FileFetcher(settings.attachments, **kwargs)
        try:
            yield Setup(
                runtime=runtime,
                sync=AttachmentSync(
                    source=runtime.intigriti,
                    tracker=runtime.jira,
                    files=files,
                    records=AttachmentRecords(runtime.redis, settings.redis.key_prefix),
                    max_bytes=settings.attachments.max_bytes,
                ),
                code=code,
                issue=issue,
            )
        finally:
            files.close()


def jira_attachments(simulators: Simulators, issue: IssueRef) -> list[Any]:
    return simulators.jira.issues[int(issue.id)].attachments


def file_requests(simulators: Simulators) -> list[dict[str, Any]]:
    return [
        entry
        for entry in simulators.intigriti.requests()
        if str(entry["path"]).startswith("/files/")
    ]


# -- a small file server of our own, loopback only ------------------------------


@dataclass
class FileServer:
    url: str
    seen: list[dict[str, str]] = field(default_factory=list)
    redirect_to: str | None = None


@contextmanager
def file_server(redirect_to: str | None = None) -> Iterator[FileServer]:
    state = FileServer(url="", redirect_to=redirect_to)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append({k.lower(): v for k, v in self.headers.items()})
            if state.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header(
                "Content-Disposition", 'attachment; filename="../<b>poc</b>.png"'
            )
            self.send_header("Set-Cookie", "session=from-the-file-host")
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def pointing_at(submission: Submission, urls: Sequence[str]) -> Submission:
    attachments = tuple(
        Attachment(code=item.code, url=url)
        for item, url in zip(submission.attachments, urls, strict=False)
    )
    return submission.model_copy(update={"attachments": attachments})


def resolver_for(table: dict[str, str]) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return [table[host]]

    return resolve


# -- through both simulators ---------------------------------------------------


def test_attachments_are_streamed_to_the_issue_once_each(
    simulators: Simulators, redis_url: str
) -> None:
    settings = attachment_settings(simulators, redis_url)
    with synced_submission(simulators, settings) as setup:
        submission = setup.runtime.intigriti.get_submission(setup.code)

        carried = setup.sync.sync(submission, setup.issue)

        stored = jira_attachments(simulators, setup.issue)
        size = simulators.intigriti_config.attachment_size_bytes
        seed = simulators.intigriti_config.seed
        assert carried == 2
        assert [(a.filename, a.size) for a in stored] == [
            (f"intigriti-{a.code}-{a.code}.png", size) for a in submission.attachments
        ]
        assert [a.content for a in stored] == [
            content(seed, a.code, size) for a in submission.attachments
        ]
        records = AttachmentRecords(setup.runtime.redis, "syncd")
        assert [records.copied(setup.code, a.code) for a in submission.attachments] == [
            a.id for a in stored
        ]


def test_second_run_uploads_nothing(simulators: Simulators, redis_url: str) -> None:
    settings = attachment_settings(simulators, redis_url)
    with synced_submission(simulators, settings) as setup:
        submission = setup.runtime.intigriti.get_submission(setup.code)
        setup.sync.sync(submission, setup.issue)
        simulators.intigriti.clear_requests()
        writes = simulators.jira_writes()

        carried = setup.sync.sync(submission, setup.issue)

        assert carried == 0
        assert simulators.jira_writes() == writes
        assert file_requests(simulators) == []
        assert len(jira_attachments(simulators, setup.issue)) == 2


def test_expired_link_is_renewed_by_fetching_the_submission_once(
    simulators: Simulators, redis_url: str
) -> None:
    settings = attachment_settings(simulators, redis_url)
    with synced_submission(simulators, settings) as setup:
        submission = setup.runtime.intigriti.get_submission(setup.code)
        later = time.time() + 2 * simulators.intigriti_config.attachment_ttl_seconds
        simulators.intigriti.clock = lambda: later
        simulators.intigriti.clear_requests()

        with capture_logs() as logs:
            carried = setup.sync.sync(submission, setup.issue)

        details = [
            entry
            for entry in simulators.intigriti.requests()
            if str(entry["path"]).endswith(f"/submissions/{setup.code}")
        ]
        statuses = [entry["status"] for entry in file_requests(simulators)]
        assert carried == 2
        assert len(details) == 1
        assert statuses == [403, 200, 200]
        assert [e["event"] for e in logs].count("attachment.links_renewed") == 1
        assert len(jira_attachments(simulators, setup.issue)) == 2


def test_file_over_the_cap_is_linked_in_an_inert_comment(
    simulators: Simulators, redis_url: str
) -> None:
    settings = attachment_settings(
        simulators, redis_url, SYNCD_ATTACHMENTS__MAX_BYTES="1000"
    )
    with synced_submission(simulators, settings, attachments=1) as setup:
        submission = setup.runtime.intigriti.get_submission(setup.code)

        carried = setup.sync.sync(submission, setup.issue)
        again = setup.sync.sync(submission, setup.issue)

        issue = simulators.jira.issues[int(setup.issue.id)]
        body = json.dumps(issue.comments[0].body)
        code = submission.attachments[0].code
        assert (carried, again) == (1, 0)
        assert issue.attachments == []
        assert len(issue.comments) == 1
        assert f"Attachment {code} of Intigriti submission {setup.code}" in body
        assert "sig=" not in body
        assert "/files/" not in body
        records = AttachmentRecords(setup.runtime.redis, "syncd")
        assert records.copied(setup.code, code) == f"comment:{issue.comments[0].id}"


def test_jira_413_turns_the_upload_into_a_comment(
    simulators: Simulators, redis_url: str
) -> None:
    simulators.jira.config = simulators.jira.config.model_copy(
        update={"attachment_max_bytes": 1000}
    )
    settings = attachment_settings(simulators, redis_url)
    with synced_submission(simulators, settings, attachments=1) as setup:
        submission = setup.runtime.intigriti.get_submission(setup.code)

        with capture_logs() as logs:
            carried = setup.sync.sync(submission, setup.issue)

        issue = simulators.jira.issues[int(setup.issue.id)]
        assert carried == 1
        assert issue.attachments == []
        assert len(issue.comments) == 1
        assert "jira.request_failed" not in [e["event"] for e in logs]


def test_host_off_the_allow_list_is_never_fetched(
    simulators: Simulators, redis_url: str
) -> None:
    settings = attachment_settings(
        simulators,
        redis_url,
        SYNCD_ATTACHMENTS__ALLOWED_HOSTS='["files.example.net"]',
    )
    with synced_submission(simulators, settings) as setup:
        submission = setup.runtime.intigriti.get_submission(setup.code)
        simulators.intigriti.clear_requests()

        with capture_logs() as logs:
            carried = setup.sync.sync(submission, setup.issue)

        refused = [e for e in logs if e["event"] == "attachment.refused"]
        assert carried == 0
        assert file_requests(simulators) == []
        assert [(e["reason"], e["host"]) for e in refused] == [
            ("host_not_allowed", "127.0.0.1")
        ] * 2
        assert jira_attachments(simulators, setup.issue) == []
        records = AttachmentRecords(setup.runtime.redis, "syncd")
        assert records.copied(setup.code, submission.attachments[0].code) is None


def test_the_file_host_never_sees_the_bearer_token(
    simulators: Simulators, redis_url: str
) -> None:
    settings = attachment_settings(simulators, redis_url)
    resolve = resolver_for({"files.example.net": "127.0.0.1"})
    with (
        file_server() as server,
        synced_submission(simulators, settings, resolver=resolve) as setup,
    ):
        port = server.url.rsplit(":", 1)[1]
        submission = pointing_at(
            setup.runtime.intigriti.get_submission(setup.code),
            [f"http://files.example.net:{port}/a?sig=1", f"{server.url}/b?sig=2"],
        )

        carried = setup.sync.sync(submission, setup.issue)

        stored = jira_attachments(simulators, setup.issue)
        assert carried == 2
        assert [s.get("authorization") for s in server.seen] == [None, None]
        assert [s.get("cookie") for s in server.seen] == [None, None]
        assert [s["host"] for s in server.seen] == [
            f"files.example.net:{port}",
            f"127.0.0.1:{port}",
        ]
        code = submission.attachments[0].code
        assert stored[0].filename == f"intigriti-{code}-b_.png"
        assert stored[0].content == PAYLOAD


def test_redirect_to_a_private_address_is_refused(
    simulators: Simulators, redis_url: str
) -> None:
    settings = attachment_settings(
        simulators,
        redis_url,
        SYNCD_ATTACHMENTS__ALLOWED_HOSTS='["files.example.net", "*.example.net"]',
    )
    resolve = resolver_for(
        {"files.example.net": "127.0.0.1", "metadata.example.net": "169.254.169.254"}
    )
    with (
        file_server(redirect_to="http://metadata.example.net/latest") as server,
        synced_submission(simulators, settings, 1, resolver=resolve) as setup,
    ):
        port = server.url.rsplit(":", 1)[1]
        submission = pointing_at(
            setup.runtime.intigriti.get_submission(setup.code),
            [f"http://files.example.net:{port}/a"],
        )

        with capture_logs() as logs:
            carried = setup.sync.sync(submission, setup.issue)

        refused = [e for e in logs if e["event"] == "attachment.refused"]
        assert carried == 0
        assert len(server.seen) == 1
        assert [(e["reason"], e["host"]) for e in refused] == [
            ("private_address", "metadata.example.net")
        ]
        assert jira_attachments(simulators, setup.issue) == []


# -- the fetcher's checks, without Jira ---------------------------------------


def fetcher(**changes: Any) -> FileFetcher:
    base = settings_from_env(
        {
            "SYNCD_INTIGRITI__AUTH": "static",
            "SYNCD_INTIGRITI__STATIC_TOKEN": "unused",
            "SYNCD_JIRA__URL": "http://jira.invalid",
            "SYNCD_JIRA__PERSONAL_ACCESS_TOKEN": "unused",
            **LOOPBACK_ONLY,
        }
    ).attachments
    return FileFetcher(base.model_copy(update=changes))


def test_redirect_loops_stop_at_the_limit() -> None:
    with file_server() as server:
        server.redirect_to = f"{server.url}/again"
        files = fetcher(max_redirects=2)
        with (
            pytest.raises(FileRefused, match="too_many_redirects"),
            files.download(f"{server.url}/start", 10_000),
        ):
            pass
        files.close()
        assert len(server.seen) == 3


def test_loopback_outside_the_allowed_network_is_refused() -> None:
    files = fetcher(allowed_hosts=("127.0.0.2",))
    with (
        pytest.raises(FileRefused, match="private_address"),
        files.download("http://127.0.0.2:9/x", 10),
    ):
        pass
    files.close()


def test_a_file_announced_over_the_limit_is_not_read() -> None:
    with file_server() as server:
        files = fetcher()
        with (
            pytest.raises(FileTooLarge, match="over the limit of 100 bytes"),
            files.download(f"{server.url}/big", 100),
        ):
            pass
        files.close()


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2606:4700::1111", True),
    ],
)
def test_only_public_addresses_pass_by_default(address: str, allowed: bool) -> None:
    assert address_allowed(ipaddress.ip_address(address), ()) is allowed


def test_an_allowed_network_lets_its_addresses_through() -> None:
    loopback = ipaddress.ip_network("127.0.0.0/8")

    assert address_allowed(ipaddress.ip_address("127.0.0.1"), (loopback,))
    assert not address_allowed(ipaddress.ip_address("10.0.0.1"), (loopback,))


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("files.intigriti.com", True),
        ("a.b.intigriti.com", True),
        ("intigriti.com", False),
        ("evilintigriti.com", False),
        ("files.intigriti.com.evil.net", False),
        ("FILES.Intigriti.COM.", True),
    ],
)
def test_host_patterns_match_subdomains_only(host: str, allowed: bool) -> None:
    assert host_allowed(host, ("*.intigriti.com",)) is allowed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("poc.png", "poc.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\temp\\x.txt", "x.txt"),
        ("<script>.html", "script_.html"),
        ("%2e%2e%2fsecret", "secret"),
        ("...", None),
        (None, None),
    ],
)
def test_file_names_lose_paths_and_markup(
    raw: str | None, expected: str | None
) -> None:
    assert safe_filename(raw) == expected


def test_the_engine_carries_attachments_once(
    simulators: Simulators, redis_url: str
) -> None:
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    code = simulators.intigriti.create_submission(
        {"attachments": 2, "status": "triage"}
    )
    simulators.jira.clear_requests()
    with open_runtime(settings_from_env(env)) as runtime:
        runtime.engine.run_cycle()
        issue = runtime.state.link(code)
        first = simulators.jira.requests()
        again = runtime.engine.run_cycle(full=True)

    assert issue is not None
    assert len(jira_attachments(simulators, issue)) == 2
    # A new issue carries no file yet: uploads without a read of its list.
    touching = [
        (e["method"], e["path"], e["query"])
        for e in first
        if f"/issue/{issue.id}" in e["path"]
    ]
    assert ("POST", f"/rest/api/3/issue/{issue.id}/attachments", "") in touching
    assert not [query for _, _, query in touching if "attachment" in query]
    assert again.count(Outcome.CREATED) == 0
    assert again.count(Outcome.UPDATED) == 0


def test_a_redis_that_lost_its_records_uploads_no_attachment_twice(
    simulators: Simulators, redis_url: str
) -> None:
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    code = simulators.intigriti.create_submission(
        {"attachments": 2, "status": "triage"}
    )
    with open_runtime(settings_from_env(env)) as runtime:
        runtime.engine.run_cycle()
        runtime.redis.flushdb()
        runtime.engine.run_cycle(full=True)
        issue = runtime.state.link(code)

    assert issue is not None
    assert len(jira_attachments(simulators, issue)) == 2
