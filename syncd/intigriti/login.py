"""``syncd auth login``: the interactive OAuth2 login of the v2 API, with PKCE.

The user opens the authorize URL in a browser and consents; Intigriti sends
the browser back to ``redirect_uri`` on loopback, where a one-request HTTP
server takes the code. The code is exchanged for tokens, and the refresh token
is stored in Redis for every worker (API.md section 1.2, and
https://api.intigriti.com/external/company/swagger for the scopes).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import structlog
from redis import Redis

from syncd.errors import AuthError, ConfigError
from syncd.intigriti.tokens import TokenKeys, request_grant, store_grant
from syncd.settings import IntigritiSettings

_PAGE = (
    b"<html><body><p>syncd: login received; you may close this tab.</p></body></html>"
)


@dataclass(frozen=True)
class Pkce:
    """A PKCE verifier and its S256 challenge (RFC 7636)."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(verifier=verifier, challenge=challenge)


def authorize_url(settings: IntigritiSettings, state: str, pkce: Pkce) -> str:
    """The consent page the user must open."""
    scopes = settings.scope.split()
    if "offline_access" not in scopes:
        # Without it there is no refresh token, and workers cannot renew.
        scopes.append("offline_access")
    query = {
        "response_type": "code",
        "client_id": settings.client_id or "",
        "redirect_uri": settings.redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    return f"{settings.authorize_url}?{urlencode(query)}"


@dataclass
class _Callback:
    path: str
    code: str | None = None
    state: str | None = None
    error: str | None = None


def _handler(callback: _Callback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != callback.path:
                self.send_error(404)
                return
            query = parse_qs(url.query)
            callback.code = query.get("code", [None])[0]
            callback.state = query.get("state", [None])[0]
            callback.error = query.get("error", [None])[0]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(_PAGE)

        def log_message(self, format: str, *args: Any) -> None:
            # The request line carries the authorization code: keep it quiet.
            return

    return Handler


def _receive(
    settings: IntigritiSettings, url: str, open_url: Callable[[str], None], wait: float
) -> _Callback:
    redirect = urlsplit(settings.redirect_uri)
    if redirect.scheme != "http" or redirect.hostname is None or not redirect.port:
        raise ConfigError("intigriti.redirect_uri must be http://<loopback>:<port>/...")
    callback = _Callback(path=redirect.path or "/")
    server = HTTPServer((redirect.hostname, redirect.port), _handler(callback))
    try:
        open_url(url)
        deadline = time.monotonic() + wait
        while callback.code is None and callback.error is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AuthError(f"no Intigriti login callback within {wait:.0f} s")
            server.timeout = remaining
            server.handle_request()
    finally:
        server.server_close()
    return callback


def login_with_pkce(
    settings: IntigritiSettings,
    redis: Redis,
    open_url: Callable[[str], None],
    *,
    key_prefix: str = "syncd",
    timeout_seconds: float = 300.0,
    http: httpx.Client | None = None,
) -> None:
    """Log in interactively and store the tokens in Redis for every worker."""
    state = secrets.token_urlsafe(24)
    pkce = Pkce.new()
    callback = _receive(
        settings, authorize_url(settings, state, pkce), open_url, timeout_seconds
    )
    if callback.error is not None:
        raise AuthError("Intigriti login was refused at the consent page")
    if callback.state is None or not secrets.compare_digest(callback.state, state):
        raise AuthError("Intigriti login callback carried a wrong state; try again")

    secret = settings.client_secret
    form = {
        "grant_type": "authorization_code",
        "code": callback.code or "",
        "redirect_uri": settings.redirect_uri,
        "client_id": settings.client_id or "",
        "code_verifier": pkce.verifier,
    }
    if secret is not None:
        form["client_secret"] = secret.get_secret_value()
    client = http or httpx.Client(timeout=settings.timeout_seconds)
    try:
        grant = request_grant(client, settings, form)
    finally:
        if http is None:
            client.close()

    store_grant(redis, TokenKeys(key_prefix), grant)
    structlog.get_logger("syncd.intigriti.login").info(
        "intigriti.login_completed",
        has_refresh_token=grant.refresh_token is not None,
        expires_in=grant.expires_in,
    )
