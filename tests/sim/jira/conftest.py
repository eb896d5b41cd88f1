"""One simulator per flavour for the session, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jira import JIRA

from syncd.sim.jira import JiraSimStore, create_app, default_config
from syncd.sim.jira.defaults import ALICE, BOT
from syncd.sim.server import ServerThread


@dataclass
class Site:
    flavour: str
    url: str
    store: JiraSimStore

    @property
    def cloud(self) -> bool:
        return self.flavour == "cloud"

    @property
    def api(self) -> str:
        return f"{self.url}/rest/api/{'3' if self.cloud else '2'}"

    def auth(self, user: str = "syncd-bot") -> dict[str, str] | httpx.BasicAuth:
        account = BOT if user == "syncd-bot" else ALICE
        if self.cloud:
            return httpx.BasicAuth(account.email, account.api_token)
        return {"Authorization": f"Bearer {account.pat}"}

    def http(self, user: str = "syncd-bot") -> httpx.Client:
        auth = self.auth(user)
        if isinstance(auth, dict):
            return httpx.Client(headers=auth, timeout=5)
        return httpx.Client(auth=auth, timeout=5)

    def client(self, user: str = "syncd-bot") -> JIRA:
        """The jira library, built the way syncd builds it."""
        account = BOT if user == "syncd-bot" else ALICE
        if self.cloud:
            return JIRA(
                server=self.url,
                basic_auth=(account.email, account.api_token),
                timeout=5,
                max_retries=0,
            )
        return JIRA(server=self.url, token_auth=account.pat, timeout=5, max_retries=0)

    def rich(self, text: str) -> Any:
        """Description/comment value for the API version `self.api` uses."""
        if not self.cloud:
            return text
        paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        return {"type": "doc", "version": 1, "content": [paragraph]}

    def create(self, project: str = "SEC", **extra: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "project": {"key": project},
            "issuetype": {"name": "Vulnerability" if project == "APPSEC" else "Bug"},
            "summary": "XSS in search",
        }
        if project == "APPSEC":
            fields["customfield_10103"] = "app.example.com"
        fields.update(extra)
        with self.http() as http:
            response = http.post(f"{self.api}/issue", json={"fields": fields})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


_SERVERS: dict[str, tuple[ServerThread, JiraSimStore]] = {}


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, tuple[ServerThread, JiraSimStore]]]:
    for flavour in ("cloud", "datacenter"):
        app = create_app(default_config(flavour))
        _SERVERS[flavour] = (ServerThread(app).start(), app.state.sim)
    yield _SERVERS
    for server, store in _SERVERS.values():
        store.webhooks.close()
        server.stop()


@pytest.fixture(params=["cloud", "datacenter"])
def site(request: pytest.FixtureRequest, servers: dict[str, Any]) -> Site:
    server, store = servers[request.param]
    store.reset()
    return Site(request.param, server.url, store)


@pytest.fixture
def cloud(servers: dict[str, Any]) -> Site:
    server, store = servers["cloud"]
    store.reset()
    return Site("cloud", server.url, store)


@pytest.fixture
def dc(servers: dict[str, Any]) -> Site:
    server, store = servers["datacenter"]
    store.reset()
    return Site("datacenter", server.url, store)
