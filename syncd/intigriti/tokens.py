"""Access tokens for the Intigriti API, shared by every worker through Redis.

Three ways in, chosen by ``IntigritiSettings.auth``:

- ``client_credentials``: the v1-era OAuth2 grant (API.md section 1.1);
- ``refresh_token``: v2 tokens from an interactive login (``syncd auth login``,
  see ``syncd.intigriti.login``); the refresh token lives in Redis and is
  single-use, so each rotation is a compare-and-swap;
- ``static``: a bearer token pasted from the admin panel; nothing to refresh.

The access token sits in Redis with a TTL a little shorter than its
``expires_in``. Every renewal (a missing token, or a 401 from the API) happens
under one Redis lock, and the holder re-reads the token first: when many
workers see a 401 together, one renews and the others reuse its token.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from redis import Redis
from redis.exceptions import LockError, RedisError

from syncd import __version__
from syncd.errors import AuthError, RateLimited, ServiceUnavailable
from syncd.intigriti.errors import MalformedResponseError
from syncd.settings import IntigritiSettings

USER_AGENT = f"syncd/{__version__}"
HEADERS = {"Accept": "application/json", "User-Agent": USER_AGENT}

# KEYS: refresh token, access token. ARGV: refresh token used, its successor
# ('' when the server did not rotate), access token, TTL in ms (0 = none).
# Refresh tokens are single-use: store the successor only if the stored token
# is still the one we spent, so a slower rotation never overwrites a newer one.
_ROTATE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2]) end
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[2], ARGV[3])
end
return 1
"""

_OAUTH_ERROR = re.compile(r"[a-z_]{1,40}")


# How long a process reuses the token it last read from Redis.
REMEMBER_SECONDS = 1.0


def _log() -> Any:
    # A fresh proxy per call, so a cached logger never outlives a reconfiguration
    # (structlog.testing.capture_logs relies on that).
    return structlog.get_logger("syncd.intigriti.tokens")


@dataclass(frozen=True)
class TokenKeys:
    """Redis keys of the shared Intigriti credentials."""

    prefix: str

    @property
    def access_token(self) -> str:
        return f"{self.prefix}:intigriti:access_token"

    @property
    def refresh_token(self) -> str:
        return f"{self.prefix}:intigriti:refresh_token"

    @property
    def lock(self) -> str:
        return f"{self.prefix}:intigriti:token_lock"


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint answered; repr hides the tokens."""

    access_token: str
    expires_in: float | None
    refresh_token: str | None

    def __repr__(self) -> str:
        return f"TokenGrant(expires_in={self.expires_in})"


def _text(value: bytes | str | None) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return value


def ttl_ms(expires_in: float | None, margin_seconds: float) -> int:
    """Cache lifetime: ``expires_in`` less a margin of at most a tenth of it."""
    if expires_in is None:
        return 0
    margin = min(margin_seconds, expires_in / 10)
    return max(1, int((expires_in - margin) * 1000))


def request_grant(
    http: httpx.Client, settings: IntigritiSettings, form: dict[str, str]
) -> TokenGrant:
    """POST one grant to the token endpoint; errors name the grant, no secret."""
    grant = form["grant_type"]
    # https://api.intigriti.com/external/company/swagger (securitySchemes)
    try:
        response = http.post(settings.token_url, data=form, headers=HEADERS)
    except httpx.TransportError as exc:
        raise ServiceUnavailable(
            f"Intigriti token endpoint unreachable ({type(exc).__name__})"
        ) from None
    status = response.status_code
    if status in (400, 401, 403):
        raise AuthError(
            f"Intigriti token endpoint refused the {grant} grant "
            f"(HTTP {status}{_oauth_error(response)})"
        )
    if status == 429:
        raise RateLimited("Intigriti token endpoint throttled (HTTP 429)")
    if status >= 300:
        raise ServiceUnavailable(f"Intigriti token endpoint answered HTTP {status}")
    return _grant_from(response)


def _oauth_error(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(error, str) and _OAUTH_ERROR.fullmatch(error):
        return f", error={error}"
    return ""


def _grant_from(response: httpx.Response) -> TokenGrant:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise MalformedResponseError(
            "Intigriti token response is not an object", None, "<root>"
        )
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise MalformedResponseError(
            "Intigriti token response lacks 'access_token'", None, "access_token"
        )
    expires = body.get("expires_in")
    refresh = body.get("refresh_token")
    return TokenGrant(
        access_token=access,
        expires_in=float(expires) if isinstance(expires, int | float) else None,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
    )


class TokenProvider:
    """The one source of Intigriti access tokens for every thread and process."""

    def __init__(
        self,
        settings: IntigritiSettings,
        redis: Redis,
        key_prefix: str = "syncd",
        *,
        http: httpx.Client | None = None,
        safety_margin_seconds: float = 60.0,
        lock_timeout_seconds: float = 30.0,
        lock_wait_seconds: float = 60.0,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self.keys = TokenKeys(key_prefix)
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=settings.timeout_seconds)
        self._margin = safety_margin_seconds
        self._lock_timeout = lock_timeout_seconds
        self._lock_wait = lock_wait_seconds
        self._rotate = redis.register_script(_ROTATE)
        self._count_lock = threading.Lock()
        self._refreshes = 0
        self._remembered: tuple[str, float] | None = None
        self._generation = 0

    @property
    def is_static(self) -> bool:
        return self._settings.auth == "static"

    @property
    def refresh_count(self) -> int:
        """Tokens this provider fetched from the token endpoint."""
        return self._refreshes

    def access_token(self) -> str:
        """The shared token, fetched first if none is cached."""
        static = self._settings.static_token
        if self.is_static and static is not None:
            return static.get_secret_value()
        remembered = self._remembered
        if remembered is not None and time.monotonic() < remembered[1]:
            return remembered[0]
        generation = self._generation
        token = self._cached() or self._renew(rejected=None)
        if generation == self._generation:  # no refresh began meanwhile
            self._remember(token)
        return token

    def verify_credentials(self) -> str:
        """A token the configured credentials were just accepted for (`syncd
        check`): client credentials are always sent to the token endpoint,
        whatever Redis holds, so a wrong or rotated secret shows at once
        rather than when the cached token expires. The new token is shared."""
        if self._settings.auth != "client_credentials":
            return self.access_token()
        token = self._renew(rejected=None, force=True)
        self._remember(token)
        return token

    def refresh(self, rejected: str) -> str:
        """A token other than ``rejected``, which the API answered 401 to."""
        if self.is_static:
            raise AuthError("Intigriti refused the static token (HTTP 401)")
        # Bumped on both sides of the renewal: a reader that saw the old
        # token in Redis meanwhile does not remember it over the new one.
        self._generation += 1
        self._remembered = None
        token = self._renew(rejected=rejected)
        self._generation += 1
        self._remember(token)
        return token

    def _remember(self, token: str) -> None:
        # Redis stays the one source; this only spares a read per request.
        # The cached token expires with a safety margin far above this.
        self._remembered = (token, time.monotonic() + REMEMBER_SECONDS)

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def _cached(self) -> str | None:
        try:
            return _text(self._redis.get(self.keys.access_token))
        except RedisError as exc:
            raise ServiceUnavailable(
                f"Redis unreachable for the token ({type(exc).__name__})"
            ) from None

    def _renew(self, rejected: str | None, *, force: bool = False) -> str:
        """A token under the shared lock: the cached one unless it is ``rejected``
        or ``force`` asks for a new grant."""
        lock = self._redis.lock(
            self.keys.lock,
            timeout=self._lock_timeout,
            blocking_timeout=self._lock_wait,
        )
        try:
            acquired = lock.acquire()
        except RedisError as exc:
            raise ServiceUnavailable(
                f"Redis unreachable for the token lock ({type(exc).__name__})"
            ) from None
        if not acquired:
            raise ServiceUnavailable("timed out waiting for the Intigriti token lock")
        try:
            current = None if force else self._cached()
            if current is not None and current != rejected:
                return current
            return self._fetch_and_store()
        except RedisError as exc:
            raise ServiceUnavailable(
                f"Redis failed while renewing the token ({type(exc).__name__})"
            ) from None
        finally:
            self._release(lock)

    def _release(self, lock: Any) -> None:
        try:
            lock.release()
        except LockError:
            # The refresh outlived the lock timeout; another holder may now run.
            _log().warning("intigriti.token_lock_expired")
        except RedisError:
            # The lock expires by itself after its timeout.
            _log().warning("intigriti.token_lock_unreleased")

    def _fetch_and_store(self) -> str:
        if self._settings.auth == "refresh_token":
            grant = self._rotate_refresh_token()
        else:
            grant = request_grant(self._http, self._settings, self._client_form())
            self._store_access(grant)
        self._count(grant)
        return grant.access_token

    def _client_form(self) -> dict[str, str]:
        settings = self._settings
        secret = settings.client_secret
        return {
            "grant_type": "client_credentials",
            "client_id": settings.client_id or "",
            "client_secret": secret.get_secret_value() if secret else "",
        }

    def _rotate_refresh_token(self) -> TokenGrant:
        spent = _text(self._redis.get(self.keys.refresh_token))
        if spent is None:
            raise AuthError("no Intigriti refresh token stored; run `syncd auth login`")
        settings = self._settings
        secret = settings.client_secret
        # Sending `scope` on a refresh has produced HTTP 400 (API.md section 1.2).
        form = {
            "grant_type": "refresh_token",
            "refresh_token": spent,
            "client_id": settings.client_id or "",
            "client_secret": secret.get_secret_value() if secret else "",
        }
        grant = request_grant(self._http, settings, form)
        stored = self._rotate(
            keys=[self.keys.refresh_token, self.keys.access_token],
            args=[
                spent,
                grant.refresh_token or "",
                grant.access_token,
                ttl_ms(grant.expires_in, self._margin),
            ],
        )
        if not stored:
            _log().warning("intigriti.refresh_token_superseded")
        return grant

    def _store_access(self, grant: TokenGrant) -> None:
        ttl = ttl_ms(grant.expires_in, self._margin)
        self._redis.set(self.keys.access_token, grant.access_token, px=ttl or None)

    def _count(self, grant: TokenGrant) -> None:
        with self._count_lock:
            self._refreshes += 1
        _log().info(
            "intigriti.token_refreshed",
            auth=self._settings.auth,
            expires_in=grant.expires_in,
        )


def store_grant(
    redis: Redis, keys: TokenKeys, grant: TokenGrant, margin_seconds: float = 60.0
) -> None:
    """Keep the tokens of an interactive login (``syncd auth login``)."""
    pipe = redis.pipeline(transaction=True)
    if grant.refresh_token is not None:
        pipe.set(keys.refresh_token, grant.refresh_token)
    ttl = ttl_ms(grant.expires_in, margin_seconds)
    pipe.set(keys.access_token, grant.access_token, px=ttl or None)
    pipe.execute()
