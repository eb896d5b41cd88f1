"""Tokens: the OAuth2 authorization server half of the simulator.

Mirrors login.intigriti.com as API.md section 1 describes it: client
credentials (v1 era), authorization code with optional PKCE S256 (v2), and
single-use rotating refresh tokens, handed out only when the granted scope
holds `offline_access`. A configured static token stands for the
"non-expiring" tokens of the admin panel. Errors use the OAuth2 error codes
(RFC 6749 section 5.2) because that is what an OIDC server answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .config import IntigritiSimConfig
from .errors import ForbiddenError, UnauthorizedError

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class OAuthError(Exception):
    """An OAuth2 error answer: `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class _Token:
    scope: tuple[str, ...]
    expires_at: float | None
    revoked: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    challenge: str | None
    expires_at: float


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_loopback_http(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


class TokenBook:
    """Issued codes and tokens; every method takes the store's one lock."""

    def __init__(
        self,
        config: IntigritiSimConfig,
        lock: threading.RLock,
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._lock = lock
        self._clock = clock
        self._access: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}
        self._codes: dict[str, _Code] = {}
        self._static_revoked = False
        self.issued: Counter[str] = Counter()

    # -- authorize -------------------------------------------------------

    def authorize(self, params: Mapping[str, str]) -> str:
        """Consent at once and return the URL to redirect the browser to.

        Raises OAuthError for problems that must not redirect (unknown
        client, redirect URI that is not loopback http).
        """
        if params.get("client_id") != self._config.client_id:
            raise OAuthError("invalid_client", "unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        if not is_loopback_http(redirect_uri):
            raise OAuthError("invalid_request", "redirect_uri must be loopback http")

        state = params.get("state")
        try:
            scope = self._granted_scope(params.get("scope"))
            challenge = self._challenge(params)
        except OAuthError as error:
            return _redirect(redirect_uri, error=error.error, state=state)

        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                client_id=self._config.client_id,
                redirect_uri=redirect_uri,
                scope=scope,
                challenge=challenge,
                expires_at=self._clock() + self._config.authorization_code_ttl_seconds,
            )
        return _redirect(redirect_uri, code=code, state=state)

    def _challenge(self, params: Mapping[str, str]) -> str | None:
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "only code is supported")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge is None:
            if method is not None:
                raise OAuthError("invalid_request", "method without challenge")
            return None
        if method != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256")
        return challenge

    # -- token -----------------------------------------------------------

    def exchange(
        self, form: Mapping[str, str], basic: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """Answer one token request; raises OAuthError."""
        grant_type = form.get("grant_type")
        client_id, client_secret = basic or (
            form.get("client_id"),
            form.get("client_secret"),
        )
        if client_id != self._config.client_id:
            raise OAuthError("invalid_client", "unknown client", status=401)
        secret_ok = client_secret is not None and hmac.compare_digest(
            client_secret, self._config.client_secret.get_secret_value()
        )
        if client_secret is not None and not secret_ok:
            raise OAuthError("invalid_client", "client authentication failed", 401)

        if grant_type == "client_credentials":
            if not secret_ok:
                raise OAuthError("invalid_client", "client secret required", 401)
            scope = self._granted_scope(
                form.get("scope", self._config.client_credentials_scope)
            )
            # No refresh token for client credentials (RFC 6749 section 4.4.3).
            return self._issue(grant_type, scope, with_refresh=False)
        if grant_type == "authorization_code":
            scope = self._redeem_code(form, secret_ok)
            return self._issue(grant_type, scope, "offline_access" in scope)
        if grant_type == "refresh_token":
            scope = self._redeem_refresh(form)
            return self._issue(grant_type, scope, with_refresh=True)
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r}")

    def _redeem_code(self, form: Mapping[str, str], secret_ok: bool) -> tuple[str, ...]:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)
        if code is None or code.expires_at <= self._clock():
            raise OAuthError("invalid_grant", "unknown, used or expired code")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match")
        verifier = form.get("code_verifier")
        if code.challenge is None:
            if not secret_ok:
                raise OAuthError("invalid_client", "client secret required", 401)
        elif verifier is None or not hmac.compare_digest(
            pkce_challenge(verifier), code.challenge
        ):
            raise OAuthError("invalid_grant", "code_verifier does not match")
        return code.scope

    def _redeem_refresh(self, form: Mapping[str, str]) -> tuple[str, ...]:
        if "scope" in form:
            # One integrator saw a 400 for this (API.md section 1.2).
            raise OAuthError("invalid_request", "scope is not allowed on refresh")
        with self._lock:
            token = self._refresh.pop(form.get("refresh_token", ""), None)
        if token is None or token.revoked:
            raise OAuthError("invalid_grant", "unknown, used or revoked refresh token")
        return token.scope

    def _granted_scope(self, requested: str | None) -> tuple[str, ...]:
        scope = tuple((requested or "").split())
        unknown = [name for name in scope if name not in self._config.scopes]
        if not scope or unknown:
            raise OAuthError("invalid_scope", f"scope not allowed: {unknown}")
        return scope

    def _issue(
        self, grant_type: str, scope: tuple[str, ...], with_refresh: bool
    ) -> dict[str, Any]:
        ttl = self._config.token_ttl_seconds
        access = secrets.token_urlsafe(32)
        answer: dict[str, Any] = {
            "access_token": access,
            "expires_in": ttl,
            "token_type": "Bearer",
            "scope": " ".join(scope),
        }
        with self._lock:
            self._access[access] = _Token(scope, self._clock() + ttl)
            if with_refresh:
                refresh = secrets.token_urlsafe(32)
                self._refresh[refresh] = _Token(scope, None)
                answer["refresh_token"] = refresh
            self.issued[grant_type] += 1
        return answer

    # -- checking and revoking -------------------------------------------

    def check(self, authorization: str | None) -> tuple[str, ...]:
        """The scope of a valid bearer token; raises 401 or 403 errors."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError("a bearer token is required")
        scope = self._scope_of(token.strip())
        if not set(scope) & set(self._config.api_scopes):
            raise ForbiddenError("the token lacks the company_external_api scope")
        return scope

    def _scope_of(self, token: str) -> tuple[str, ...]:
        static = self._config.static_token
        if static is not None and hmac.compare_digest(token, static.get_secret_value()):
            with self._lock:
                if self._static_revoked:
                    raise UnauthorizedError("the token was revoked")
            return tuple(self._config.api_scopes[:1])
        with self._lock:
            grant = self._access.get(token)
        if grant is None or grant.revoked:
            raise UnauthorizedError("unknown or revoked token")
        if grant.expires_at is not None and grant.expires_at <= self._clock():
            raise UnauthorizedError("the token expired")
        return grant.scope

    def revoke(self, token: str | None = None, include_static: bool = False) -> int:
        """Revoke one token (access, refresh or static) or all; return how many."""
        with self._lock:
            grants = [*self._access.items(), *self._refresh.items()]
            chosen = [g for t, g in grants if token is None or t == token]
            for grant in chosen:
                grant.revoked = True
            static = self._config.static_token
            is_static = static is not None and token == static.get_secret_value()
            if is_static or (token is None and include_static):
                self._static_revoked = True
                return len(chosen) + 1
            return len(chosen)


def _redirect(uri: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"
