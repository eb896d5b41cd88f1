"""Report attachments from their file host: fetched without the bearer token.

Attachment links (API.md section 4.10) are signed URLs that may point to a
host other than the API, and they are researcher-adjacent input: syncd treats
each one as a possible SSRF. A link is fetched only when

- its scheme and host are allowed (``AttachmentSettings``);
- every address the host resolves to is public, or inside an explicitly
  allowed network; the connection then goes to the checked address (pinned,
  with ``Host`` and TLS SNI set to the name), so a second DNS answer cannot
  swap in a private one;
- each redirect passes the same checks again, up to ``max_redirects``.

The client here has no auth, no default headers but the user agent, and
``trust_env=False`` (no ``.netrc`` credentials, no proxies from the
environment). The body is streamed into a temporary file in bounded chunks and
abandoned as soon as it passes the size limit. Errors name the host, never
the URL: its query string is the signature.

::

    PermanentError
    ├── FileRefused    the link fails the scheme, host or address checks
    ├── LinkExpired    the file host answered 401/403/404/410
    └── FileTooLarge   the file is over the limit (size when known)
"""

from __future__ import annotations

import ipaddress
import re
import socket
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, BinaryIO
from urllib.parse import unquote

import httpx
import structlog

from syncd.errors import PermanentError, RateLimited, ServiceUnavailable
from syncd.intigriti.pools import thread_pools
from syncd.intigriti.tokens import USER_AGENT
from syncd.settings import AttachmentSettings

CHUNK_BYTES = 64 * 1024
_EXPIRED = frozenset({401, 403, 404, 410})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_FILENAME = re.compile(
    r"""filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)|filename\s*=\s*"?([^";]+)"?"""
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

log = structlog.get_logger("syncd.intigriti.files")


class FileRefused(PermanentError):
    """The link is not one syncd may fetch; ``reason`` is a constant word."""

    def __init__(self, reason: str, host: str) -> None:
        super().__init__(f"attachment link refused ({reason}) for host {host!r}")
        self.reason = reason
        self.host = host


class LinkExpired(PermanentError):
    """The file host no longer serves this link; a fresh one may work."""


class FileTooLarge(PermanentError):
    """Over the limit; ``size`` is the announced size, when there was one."""

    def __init__(self, limit: int, size: int | None) -> None:
        super().__init__(f"attachment over the limit of {limit} bytes")
        self.limit = limit
        self.size = size


@dataclass(frozen=True)
class Download:
    """A fetched file, in a temporary file positioned at its start."""

    file: BinaryIO
    size: int
    filename: str | None
    content_type: str


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as text."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """Exact names, or ``*.suffix`` for any subdomain of ``suffix``."""
    name = host.lower().rstrip(".")
    for pattern in patterns:
        wanted = pattern.lower().rstrip(".")
        if wanted.startswith("*."):
            if name.endswith(wanted[1:]) and len(name) > len(wanted) - 1:
                return True
        elif name == wanted:
            return True
    return False


def address_allowed(address: IPAddress, networks: Sequence[Network]) -> bool:
    """Public addresses, and any inside an explicitly allowed network."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        # ::ffff:127.0.0.1 is loopback, though 3.11 does not say so.
        address = address.ipv4_mapped
    if any(address in network for network in networks):
        return True
    return address.is_global and not address.is_multicast


def safe_filename(raw: str | None) -> str | None:
    """A name without path, markup or control characters, or None."""
    if not raw:
        return None
    base = unquote(raw).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE_NAME.sub("_", base).strip("._")[:100]
    return cleaned or None


def _disposition_name(header: str | None) -> str | None:
    if not header:
        return None
    found = _FILENAME.search(header)
    if found is None:
        return None
    return found.group(1) or found.group(2)


class FileFetcher:
    """Fetches attachment links under the checks of the module docstring."""

    def __init__(
        self,
        settings: AttachmentSettings,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._resolve = resolver
        self._http = httpx.Client(
            timeout=httpx.Timeout(settings.timeout_seconds, connect=10.0),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
            transport=(
                thread_pools(None, trust_env=False) if transport is None else transport
            ),
        )
        # No cookie is kept: one file host's would go to the next request.
        self._http.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def close(self) -> None:
        self._http.close()

    @contextmanager
    def download(self, url: str, limit: int) -> Iterator[Download]:
        """The file behind ``url`` in a temporary file, removed on exit."""
        with self._response(url) as response, tempfile.TemporaryFile() as file:
            announced = _content_length(response)
            if announced is not None and announced > limit:
                raise FileTooLarge(limit, announced)
            size = 0
            try:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    size += len(chunk)
                    if size > limit:
                        raise FileTooLarge(limit, announced)
                    file.write(chunk)
            except httpx.TransportError as exc:
                raise ServiceUnavailable(
                    f"attachment download broke off ({type(exc).__name__})"
                ) from None
            file.seek(0)
            yield Download(
                file=file,
                size=size,
                filename=safe_filename(
                    _disposition_name(response.headers.get("Content-Disposition"))
                    or response.url.path
                ),
                content_type=response.headers.get(
                    "Content-Type", "application/octet-stream"
                ).split(";")[0],
            )

    @contextmanager
    def _response(self, url: str) -> Iterator[httpx.Response]:
        """The final, successful response after at most ``max_redirects``."""
        target = httpx.URL(url)
        for _hop in range(self._settings.max_redirects + 1):
            request = self._pinned(target)
            response = self._send(request, target.host)
            if response.status_code not in _REDIRECTS:
                break
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise LinkExpired(f"redirect without Location from {target.host}")
            target = target.join(location)
        else:
            response.close()
            raise FileRefused("too_many_redirects", target.host)

        try:
            _check_status(response, target.host)
            yield response
        finally:
            response.close()

    def _pinned(self, target: httpx.URL) -> httpx.Request:
        """A request to one checked address of ``target``'s host."""
        host = target.host
        if target.scheme not in self._settings.allowed_schemes:
            raise FileRefused("scheme_not_allowed", host)
        if not host or not host_allowed(host, self._settings.allowed_hosts):
            raise FileRefused("host_not_allowed", host)

        port = target.port or (443 if target.scheme == "https" else 80)
        address = self._checked_address(host, port)
        pinned = target.copy_with(host=str(address))
        host_header = host if target.port is None else f"{host}:{target.port}"
        extensions: dict[str, Any] = {}
        if target.scheme == "https":
            extensions["sni_hostname"] = host
        return self._http.build_request(
            "GET", pinned, headers={"Host": host_header}, extensions=extensions
        )

    def _checked_address(self, host: str, port: int) -> IPAddress:
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = [ipaddress.ip_address(a) for a in self._resolve(host, port)]
            except (OSError, ValueError):
                raise FileRefused("unresolvable", host) from None
        if not addresses:
            raise FileRefused("unresolvable", host)
        networks = self._settings.allowed_networks
        if not all(address_allowed(address, networks) for address in addresses):
            raise FileRefused("private_address", host)
        return addresses[0]

    def _send(self, request: httpx.Request, host: str) -> httpx.Response:
        try:
            return self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"attachment host {host!r} unreachable ({type(exc).__name__})"
            ) from None


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _check_status(response: httpx.Response, host: str) -> None:
    status = response.status_code
    if response.is_success:
        return
    log.warning("attachment.fetch_failed", host=host, status_code=status)
    if status in _EXPIRED:
        raise LinkExpired(f"attachment host {host!r} answered HTTP {status}")
    if status == 429:
        raise RateLimited(f"attachment host {host!r} answered HTTP 429")
    if status >= 500:
        raise ServiceUnavailable(f"attachment host {host!r} answered HTTP {status}")
    raise LinkExpired(f"attachment host {host!r} answered HTTP {status}")
