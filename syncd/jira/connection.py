"""Log in to Jira: detect Cloud or Data Center, then build the library client.

The ``jira`` library is built with ``get_server_info=False`` and asked for
``serverInfo`` once, through ``/rest/api/2`` (served by both flavours). The
client that syncd then keeps speaks ``/rest/api/3`` on Cloud, where rich text
is ADF, and ``/rest/api/2`` on Data Center, where it is wiki markup.

Every library client here has ``max_retries=0``: in ``ResilientSession.request``
the retry check (``__recoverable``, which retries 429/503 and connection
errors for every method, POST included, and calls ``int()`` on
``Retry-After``) is only reached while ``retry_number <= max_retries``; with
0 the loop ends after the first answer. syncd decides about retries.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests
from jira import JIRA

from syncd.errors import ConfigError
from syncd.jira.errors import translated
from syncd.jira.models import Flavour
from syncd.settings import JiraSettings

_CLOUD_DEPLOYMENT = "Cloud"
_API_VERSION = {Flavour.CLOUD: "3", Flavour.DATA_CENTER: "2"}


def flavour_of(server_info: Mapping[str, Any]) -> Flavour:
    """Cloud when ``deploymentType`` says so; "Server"/"DataCenter" otherwise."""
    if server_info.get("deploymentType") == _CLOUD_DEPLOYMENT:
        return Flavour.CLOUD
    return Flavour.DATA_CENTER


def _auth(settings: JiraSettings, flavour: Flavour | None) -> dict[str, Any]:
    """Basic e-mail + API token for Cloud, Bearer PAT for Data Center.

    Before the flavour is known (the ``serverInfo`` probe) whichever
    credentials are configured are used, Cloud's first.
    """
    basic = None
    if settings.email is not None and settings.api_token is not None:
        basic = (settings.email, settings.api_token.get_secret_value())
    token = settings.personal_access_token

    if flavour is Flavour.CLOUD and basic is None:
        raise ConfigError("Jira Cloud needs SYNCD_JIRA__EMAIL and __API_TOKEN")
    if flavour is Flavour.DATA_CENTER and token is not None:
        return {"token_auth": token.get_secret_value()}
    if basic is not None:
        return {"basic_auth": basic}
    assert token is not None  # JiraSettings requires one of the two
    return {"token_auth": token.get_secret_value()}


def _library_client(
    settings: JiraSettings, auth: Mapping[str, Any], api_version: str
) -> JIRA:
    return JIRA(
        server=settings.url,
        options={"rest_api_version": api_version},
        get_server_info=False,
        max_retries=0,
        timeout=settings.timeout_seconds,
        # True would set the "jira" logger to INFO, overriding syncd.logs,
        # and the library logs response bodies on some failures.
        logging=False,
        **auth,
    )


def open_jira(settings: JiraSettings) -> tuple[JIRA, Flavour]:
    """A logged-in library client for the site's flavour, and that flavour."""
    # https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-server-info/
    probe = _library_client(settings, _auth(settings, None), api_version="2")
    try:
        with translated("server_info"):
            info = probe.server_info()
    finally:
        probe.close()  # type: ignore[no-untyped-call]  # library leaves it bare

    flavour = flavour_of(info)
    jira = _library_client(
        settings, _auth(settings, flavour), api_version=_API_VERSION[flavour]
    )
    # What get_server_info=True would have set; @cloud_api methods read it.
    jira.deploymentType = info.get("deploymentType")
    settle_environment(jira._session, settings.url)
    return jira, flavour


def settle_environment(session: requests.Session, url: str) -> None:
    """Read the proxy and CA bundle settings from the environment once.

    requests reads them again for every request (``trust_env``), a tenth
    of a backfill's CPU; syncd's environment does not change while it runs.
    The proxies for the site's URL honour ``NO_PROXY`` as requests would.
    """
    if not session.trust_env:
        return
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if session.verify is True and bundle:
        session.verify = bundle
    session.trust_env = False
