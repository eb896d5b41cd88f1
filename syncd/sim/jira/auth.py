"""Who is calling: Cloud takes e-mail + API token, Data Center a PAT or Basic."""

from __future__ import annotations

import base64
import binascii
import hmac

from syncd.sim.jira.config import JiraSimConfig, UserConfig


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def authenticate(config: JiraSimConfig, header: str | None) -> UserConfig | None:
    """The user the `Authorization` header proves, or None."""
    if not header:
        return None
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "bearer" and not config.is_cloud:
        return next((u for u in config.users if _same(credential, u.pat)), None)
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credential, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, _, secret = decoded.partition(":")
    for user in config.users:
        if config.is_cloud and login == user.email and _same(secret, user.api_token):
            return user
        if not config.is_cloud and login == user.name and _same(secret, user.password):
            return user
    return None
