"""``syncd auth login``: authorize URL, loopback callback, code exchange."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import redis

from syncd.errors import AuthError
from syncd.intigriti.login import login_with_pkce
from syncd.sim.server import free_port


class Browser:
    """Follows the authorize URL the way a consenting user's browser would."""

    def __init__(self, answer: dict[str, str] | None = None) -> None:
        self.answer = answer
        self.urls: list[str] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> None:
        self.urls.append(url)
        query = dict(parse_qsl(urlsplit(url).query))
        params = self.answer or {"code": "the-code", "state": query["state"]}
        thread = threading.Thread(
            target=httpx.get, args=(query["redirect_uri"],), kwargs={"params": params}
        )
        thread.start()
        self.threads.append(thread)

    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.urls[0]).query))

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=5)


@pytest.fixture
def settings(fake: Any) -> Any:
    uri = f"http://127.0.0.1:{free_port()}/callback"
    return fake.settings(auth="refresh_token", redirect_uri=uri)


@pytest.fixture
def browser() -> Iterator[Browser]:
    opened = Browser()
    yield opened
    opened.join()


def test_login_exchanges_the_code_with_its_verifier_and_stores_tokens(
    fake: Any, settings: Any, browser: Browser, redis_client: redis.Redis
) -> None:
    login_with_pkce(
        settings, redis_client, browser, key_prefix="test", http=fake.http()
    )

    query = browser.query()
    grant = fake.grants[0]
    digest = hashlib.sha256(grant["code_verifier"].encode()).digest()
    assert urlsplit(browser.urls[0])._replace(query="").geturl() == (
        "https://login.intigriti.com/connect/authorize"
    )
    assert query["response_type"] == "code"
    assert query["client_id"] == "syncd-test"
    assert query["scope"] == "company_external_api offline_access"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == (
        base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    )
    assert {k: v for k, v in grant.items() if k != "code_verifier"} == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": settings.redirect_uri,
        "client_id": "syncd-test",
        "client_secret": "s3cret-client-value",
    }
    assert redis_client.get("test:intigriti:refresh_token") == b"refresh-2"
    assert redis_client.get("test:intigriti:access_token") == b"access-1"


def test_login_refuses_a_callback_with_a_foreign_state(
    fake: Any, settings: Any, redis_client: redis.Redis
) -> None:
    browser = Browser(answer={"code": "the-code", "state": "forged"})

    with pytest.raises(AuthError, match="wrong state"):
        login_with_pkce(
            settings, redis_client, browser, key_prefix="test", http=fake.http()
        )

    browser.join()
    assert fake.grants == []
    assert redis_client.keys("test:*") == []


def test_login_reports_a_refused_consent(
    fake: Any, settings: Any, redis_client: redis.Redis
) -> None:
    browser = Browser(answer={"error": "access_denied"})

    with pytest.raises(AuthError, match="refused at the consent page"):
        login_with_pkce(
            settings, redis_client, browser, key_prefix="test", http=fake.http()
        )

    browser.join()


def test_login_gives_up_when_no_callback_arrives(
    fake: Any, settings: Any, redis_client: redis.Redis
) -> None:
    with pytest.raises(AuthError, match="no Intigriti login callback"):
        login_with_pkce(
            settings,
            redis_client,
            lambda url: None,
            key_prefix="test",
            http=fake.http(),
            timeout_seconds=0.2,
        )
