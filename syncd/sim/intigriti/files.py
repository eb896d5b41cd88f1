"""Signed, expiring attachment links and the bytes behind them.

Real attachment URLs live on a file host and need no bearer token; their
lifetime is unverified (API.md 4.10), so the simulator signs each link with
HMAC-SHA256 over path and expiry and lets it lapse after
`attachment_ttl_seconds`. Every detail response mints fresh links.
"""

from __future__ import annotations

import hashlib
import hmac
import math


def file_path(code: int) -> str:
    return f"/files/{code}"


def signature(secret: str, code: int, expires: int) -> str:
    message = f"{file_path(code)}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_url(base_url: str, secret: str, code: int, now: float, ttl: int) -> str:
    expires = math.ceil(now + ttl)
    sig = signature(secret, code, expires)
    return f"{base_url}{file_path(code)}?exp={expires}&sig={sig}"


def link_is_valid(secret: str, code: int, expires: int, sig: str, now: float) -> bool:
    expected = signature(secret, code, expires)
    return hmac.compare_digest(expected, sig) and now < expires


def content(seed: int, code: int, size: int) -> bytes:
    """Deterministic bytes for one attachment."""
    block = hashlib.sha256(f"{seed}:{code}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]
