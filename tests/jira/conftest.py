"""One Jira simulator per flavour for the session, reset before every test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from syncd.jira.client import JiraClient
from syncd.jira.models import Flavour
from syncd.mapping.draft import IssueDraft
from syncd.settings import JiraSettings
from syncd.sim.jira import JiraSimStore, create_app, default_config
from syncd.sim.jira.defaults import BOT
from syncd.sim.server import ServerThread

ADF_DESCRIPTION = {
    "type": "doc",
    "version": 1,
    "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Steps to repro"}]}
    ],
}
WIKI_DESCRIPTION = "h2. Steps\nSteps to repro"


@dataclass(frozen=True)
class Site:
    """A running simulator and what a test needs to reach and inspect it."""

    flavour: Flavour
    url: str
    store: JiraSimStore

    @property
    def settings(self) -> JiraSettings:
        return bot_settings(self.url)

    def writes(self, method: str, template: str) -> int:
        """Writes seen on ``METHOD /rest/api/{version}/<template>``."""
        key = f"{method} /rest/api/{{version}}/{template}"
        return _settled(lambda: self.store.counters().get(key, 0))

    def requests_to(self, method: str, path_suffix: str) -> int:
        """Requests seen whose path ends with ``path_suffix``."""
        return _settled(
            lambda: sum(
                1
                for r in self.store.requests()
                if r["method"] == method and r["path"].endswith(path_suffix)
            )
        )


def _settled(count: Callable[[], int]) -> int:
    """The count once the simulator has logged the last answer it sent.

    The simulator logs a request after sending its answer, so the client can
    be back before the entry is written: wait for the count to stop changing.
    """
    last = count()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        time.sleep(0.02)
        now = count()
        if now == last:
            return now
        last = now
    return last


def bot_settings(url: str, **overrides: Any) -> JiraSettings:
    values: dict[str, Any] = {
        "url": url,
        "email": BOT.email,
        "api_token": BOT.api_token,
        "personal_access_token": BOT.pat,
        "timeout_seconds": 5.0,
        **overrides,
    }
    return JiraSettings(**values)


def start_site(flavour: Flavour) -> tuple[ServerThread, Site]:
    app = create_app(default_config(flavour.value))
    server = ServerThread(app).start()
    return server, Site(flavour, server.url, app.state.sim)


@pytest.fixture(scope="session", params=list(Flavour), ids=lambda f: f.value)
def running_site(request: pytest.FixtureRequest) -> Iterator[Site]:
    server, site = start_site(request.param)
    yield site
    server.stop()


@pytest.fixture
def site(running_site: Site) -> Site:
    running_site.store.reset()
    return running_site


@pytest.fixture
def client(site: Site) -> Iterator[JiraClient]:
    jira = JiraClient.connect(site.settings)
    site.store.clear_requests()
    yield jira
    jira.close()


def make_draft(flavour: Flavour, **overrides: Any) -> IssueDraft:
    """A SEC bug with every kind of field the mapping produces."""
    values: dict[str, Any] = {
        "flavour": flavour,
        "project": "SEC",
        "issue_type": "Bug",
        "summary": "Stored XSS in profile page",
        "description": ADF_DESCRIPTION
        if flavour is Flavour.CLOUD
        else WIKI_DESCRIPTION,
        "priority": "High",
        "labels": ("intigriti", "severity-high"),
        "components": ("Web",),
        "custom_fields": {
            "CVSS Score": 8.1,
            "Intigriti Severity": "High",
            "Submission Code": "ACME-XSS-123",
            "Severity": "S2",
        },
        **overrides,
    }
    return IssueDraft(**values)
