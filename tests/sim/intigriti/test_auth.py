"""Tokens: grants, PKCE, refresh rotation, expiry, revocation, 401s."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import FakeClock, Sim, SimFactory

CLIENT = {"client_id": "syncd-sim-client", "client_secret": "syncd-sim-client-secret"}
REDIRECT = "http://127.0.0.1:8765/callback"
VERIFIER = "a-very-long-code-verifier-with-enough-entropy-0123456789"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(sim: Sim, **overrides: str) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": "syncd-sim-client",
        "redirect_uri": REDIRECT,
        "scope": "company_external_api offline_access",
        "state": "xyz",
        "code_challenge": _challenge(VERIFIER),
        "code_challenge_method": "S256",
    } | overrides
    return sim.client.get("/connect/authorize", params=params)


def _code_from(response: httpx.Response) -> str:
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0]


def _exchange(sim: Sim, code: str, verifier: str = VERIFIER) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "syncd-sim-client",
        "code_verifier": verifier,
    }
    return sim.client.post("/connect/token", data=form)


def test_client_credentials_issue_a_bearer_token_without_refresh(sim: Sim) -> None:
    response = sim.client.post(
        "/connect/token", data={"grant_type": "client_credentials", **CLIENT}
    )

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert (body["expires_in"], body["token_type"]) == (1209600, "Bearer")
    assert body["scope"] == "company_external_api"
    assert (
        sim.api(body["access_token"]).get("/external/company/v2.1/programs").status_code
        == 200
    )


def test_client_credentials_with_basic_auth_work(sim: Sim) -> None:
    response = sim.client.post(
        "/connect/token",
        data={"grant_type": "client_credentials"},
        auth=("syncd-sim-client", "syncd-sim-client-secret"),
    )

    assert response.status_code == 200


def test_wrong_client_secret_is_invalid_client(sim: Sim) -> None:
    form = {"grant_type": "client_credentials", **CLIENT, "client_secret": "nope"}

    response = sim.client.post("/connect/token", data=form)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_json_token_request_is_invalid_request(sim: Sim) -> None:
    response = sim.client.post(
        "/connect/token", json={"grant_type": "client_credentials", **CLIENT}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_authorize_redirects_with_code_and_state(sim: Sim) -> None:
    response = _authorize(sim)

    location = urlsplit(response.headers["location"])
    assert response.status_code == 302
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert parse_qs(location.query)["state"] == ["xyz"]


def test_pkce_code_exchange_grants_scope_and_refresh_token(sim: Sim) -> None:
    response = _exchange(sim, _code_from(_authorize(sim)))

    body = response.json()
    assert response.status_code == 200
    assert body["scope"] == "company_external_api offline_access"
    assert "refresh_token" in body


def test_code_without_offline_access_gives_no_refresh_token(sim: Sim) -> None:
    code = _code_from(_authorize(sim, scope="company_external_api"))

    body = _exchange(sim, code).json()

    assert "refresh_token" not in body


def test_wrong_code_verifier_is_invalid_grant(sim: Sim) -> None:
    response = _exchange(sim, _code_from(_authorize(sim)), verifier="x" * 50)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_is_single_use(sim: Sim) -> None:
    code = _code_from(_authorize(sim))
    _exchange(sim, code)

    response = _exchange(sim, code)

    assert response.json()["error"] == "invalid_grant"


def test_plain_challenge_method_is_refused_by_redirect(sim: Sim) -> None:
    response = _authorize(sim, code_challenge_method="plain")

    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid_request"]


def test_non_loopback_redirect_uri_is_refused_without_redirect(sim: Sim) -> None:
    response = _authorize(sim, redirect_uri="https://evil.example/cb")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def _refresh(sim: Sim, token: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, **CLIENT, **extra}
    return sim.client.post("/connect/token", data=form)


def test_refresh_token_rotates_and_reuse_is_invalid_grant(sim: Sim) -> None:
    first = _exchange(sim, _code_from(_authorize(sim))).json()

    second = _refresh(sim, first["refresh_token"])
    reuse = _refresh(sim, first["refresh_token"])

    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
    assert sim.store.counters()["tokens_issued"] == {
        "authorization_code": 1,
        "refresh_token": 1,
    }


def test_refresh_with_scope_is_refused(sim: Sim) -> None:
    first = _exchange(sim, _code_from(_authorize(sim))).json()

    response = _refresh(sim, first["refresh_token"], scope="company_external_api")

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_token_expires_after_ttl(make_sim: SimFactory, clock: FakeClock) -> None:
    sim = make_sim(clock=clock, token_ttl_seconds=1)
    token = sim.client.post(
        "/connect/token", data={"grant_type": "client_credentials", **CLIENT}
    ).json()["access_token"]
    api = sim.api(token)
    before = api.get("/external/company/v2.1/programs").status_code

    clock.advance(1.0)

    assert before == 200
    assert api.get("/external/company/v2.1/programs").status_code == 401


def test_revoked_tokens_get_401_but_static_token_survives(sim: Sim) -> None:
    token = sim.client.post(
        "/connect/token", data={"grant_type": "client_credentials", **CLIENT}
    ).json()["access_token"]

    revoked = sim.client.post("/_sim/tokens/revoke", json={}).json()

    assert revoked == {"revoked": 1}
    assert sim.api(token).get("/external/company/v2.1/programs").status_code == 401
    assert sim.client.get("/external/company/v2.1/programs").status_code == 200


def test_static_token_can_be_revoked_explicitly(sim: Sim) -> None:
    sim.client.post("/_sim/tokens/revoke", json={"include_static": True})

    response = sim.client.get("/external/company/v2.1/submissions")

    assert response.status_code == 401


def test_every_api_path_needs_a_token(sim: Sim) -> None:
    code = sim.store.submissions()[0].code
    program = sim.store.programs()[0].id
    calls = [
        ("GET", "programs"),
        ("GET", f"programs/{program}"),
        ("GET", f"programs/{program}/submissions"),
        ("GET", "submissions"),
        ("GET", f"submissions/{code}"),
        ("GET", f"submissions/{code}/events"),
        ("PUT", f"submissions/{code}/state"),
        ("PUT", f"submissions/{code}/internal-reference"),
        ("POST", f"submissions/{code}/comments/internal"),
        ("POST", f"submissions/{code}/comments/external"),
        ("PUT", f"submissions/{code}/severity"),
        ("POST", f"submissions/{code}/tags"),
        ("DELETE", f"submissions/{code}/tags/xss"),
    ]
    anonymous = sim.api(token="")
    wrong = sim.api(token="not-a-token")
    statuses = set()

    for method, path in calls:
        for prefix in ("/external/company/v2.1/", "/external/company/v2/"):
            for client in (anonymous, wrong):
                statuses.add(client.request(method, prefix + path, json={}).status_code)
    statuses.add(anonymous.get("/external/v1.2/submissions").status_code)
    statuses.add(wrong.get(f"/external/v1.2/submissions/{code}").status_code)

    assert statuses == {401}
