"""The library session's environment is read once, with what it would read."""

from __future__ import annotations

import pytest
import requests

from syncd.jira.connection import settle_environment

SITE = "https://jira.example.com"


def test_proxies_and_ca_bundle_are_read_once_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.net:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example.org")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company.pem")
    session = requests.Session()

    settle_environment(session, SITE)
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example.net:1")

    assert session.trust_env is False
    assert session.proxies["https"] == "http://proxy.example.net:3128"
    assert session.verify == "/etc/ssl/company.pem"
    settings = session.merge_environment_settings(SITE, {}, None, None, None)
    assert settings["proxies"]["https"] == "http://proxy.example.net:3128"


def test_a_site_under_no_proxy_gets_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.net:3128")
    monkeypatch.setenv("NO_PROXY", "jira.example.com")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = requests.Session()

    settle_environment(session, SITE)

    assert "https" not in session.proxies
    assert session.verify is True
