"""No secret in any log line, error message or repr, whatever goes wrong.

Full syncs run with known secrets through both simulators and a Redis that
wants a password, with faults injected and tokens revoked; every structlog
event, every stdlib record, every error message and the CLI's output are
searched for each secret.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import SecretStr
from structlog.testing import capture_logs

from syncd.errors import SyncdError
from syncd.intigriti.tokens import TokenKeys
from syncd.runtime import open_runtime, run_checks
from syncd.settings import Settings
from syncd.sim.intigriti import IntigritiSimConfig
from syncd.sim.intigriti.faults import FaultSettings
from syncd.sim.redis_server import RedisServer
from syncd.sim.runner import Simulators, running_simulators, write_env_file
from syncd.state import connect_redis

from .conftest import MAPPING_DIR, settings_from_env

CLIENT_SECRET = "cs-7f3a-intigriti-client-secret-c0ffee"
STATIC_TOKEN = "st-91b2-intigriti-static-token-beef"
REDIS_PASSWORD = "rp-4d5e-redis-password-f00d"
INTIGRITI_WEBHOOK_SECRET = "wh-1a2b-intigriti-webhook-secret"
JIRA_WEBHOOK_SECRET = "wh-3c4d-jira-webhook-secret"
TOKEN_TTL_SECONDS = 600


@pytest.fixture
def sims() -> Iterator[Simulators]:
    config = IntigritiSimConfig(
        seed=5,
        size=8,
        client_secret=SecretStr(CLIENT_SECRET),
        static_token=SecretStr(STATIC_TOKEN),
        token_ttl_seconds=TOKEN_TTL_SECONDS,
    )
    with running_simulators(seed=5, submissions=8, intigriti_config=config) as found:
        yield found


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis", password=REDIS_PASSWORD) as server:
        yield server


def secret_env(sims: Simulators, redis_url: str) -> dict[str, str]:
    return {
        **sims.settings_env(redis_url, MAPPING_DIR / "default.yaml"),
        "SYNCD_WEBHOOKS__INTIGRITI_SECRET": INTIGRITI_WEBHOOK_SECRET,
        "SYNCD_WEBHOOKS__JIRA_SECRET": JIRA_WEBHOOK_SECRET,
    }


def jira_token(sims: Simulators) -> str:
    return sims.jira.config.user("syncd-bot").api_token


class Secrets:
    """Every secret of one test, including tokens issued along the way."""

    def __init__(self, sims: Simulators) -> None:
        self.known = {
            CLIENT_SECRET,
            STATIC_TOKEN,
            REDIS_PASSWORD,
            INTIGRITI_WEBHOOK_SECRET,
            JIRA_WEBHOOK_SECRET,
            jira_token(sims),
        }

    def note_token(self, client: redis.Redis) -> None:
        token = client.get(TokenKeys("syncd").access_token)
        if token:
            self.known.add(token.decode() if isinstance(token, bytes) else str(token))

    def found_in(self, texts: list[str]) -> list[tuple[str, str]]:
        return [
            (secret[:6], text[:120])
            for text in texts
            for secret in self.known
            if secret in text
        ]


def test_syncs_with_faults_and_revoked_tokens_leak_no_secret(
    sims: Simulators,
    locked_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets = Secrets(sims)
    settings = settings_from_env(secret_env(sims, locked_redis.url))
    errors: list[str] = [repr(settings), str(settings), settings.model_dump_json()]
    caplog.set_level(logging.DEBUG)

    with capture_logs() as events, open_runtime(settings) as runtime:
        runtime.engine.run_cycle()
        secrets.note_token(runtime.redis)

        sims.intigriti.revoke_tokens()
        sims.intigriti.set_faults(
            FaultSettings(throttle_rate=0.3, retry_after=0, seed=3)
        )
        # Every Jira call fails in the first cycle (so the failure path runs
        # for certain), then some do.
        sims.jira.set_faults(error_rate=1.0)
        for number in range(4):
            sims.intigriti.create_submission({"title": f"New report {number}"})
        for cycle in range(3):
            if cycle == 1:
                sims.jira.set_faults(error_rate=0.3, drop_rate=0.1)
            try:
                runtime.engine.run_cycle()
            except SyncdError as exc:
                errors.append(str(exc))
            secrets.note_token(runtime.redis)
        sims.intigriti.clear_faults()
        sims.jira.clear_faults()
        errors += [record.reason for record in runtime.state.quarantined()]
        errors += [repr(runtime.tokens), repr(runtime.intigriti), repr(runtime.jira)]

    texts = [repr(event) for event in events]
    texts += [record.getMessage() for record in caplog.records]
    texts += [caplog.text, *errors]
    names = {event["event"] for event in events}
    assert {
        "intigriti.token_rejected",
        "intigriti.request_retrying",
        "jira.request_failed",
    } <= names
    assert len(secrets.known) >= 7
    assert secrets.found_in(texts) == []


def test_refused_credentials_are_reported_without_them(
    sims: Simulators,
    locked_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets = Secrets(sims)
    env = secret_env(sims, locked_redis.url)
    wrong = settings_from_env(
        {
            **env,
            "SYNCD_INTIGRITI__CLIENT_SECRET": CLIENT_SECRET[::-1],
            "SYNCD_JIRA__API_TOKEN": jira_token(sims)[::-1],
        }
    )
    static = settings_from_env(
        {
            **env,
            "SYNCD_INTIGRITI__AUTH": "static",
            "SYNCD_INTIGRITI__STATIC_TOKEN": STATIC_TOKEN,
        }
    )
    bad_redis = settings_from_env(
        {**env, "SYNCD_REDIS__URL": locked_redis.url.replace(REDIS_PASSWORD, "nope")}
    )
    sims.intigriti.revoke_tokens(include_static=True)
    secrets.known |= {CLIENT_SECRET[::-1], jira_token(sims)[::-1]}
    caplog.set_level(logging.DEBUG)

    with capture_logs() as events:
        details = [r.detail for r in run_checks(wrong) + run_checks(static)]
        with open_runtime(static) as runtime, pytest.raises(SyncdError) as revoked:
            runtime.engine.run_cycle()
        with pytest.raises(SyncdError) as refused:
            connect_redis(bad_redis.redis)

    texts = [repr(event) for event in events] + [caplog.text, *details]
    texts += [str(revoked.value), repr(revoked.value), str(refused.value)]
    assert "AuthError" in " ".join(details)
    assert secrets.found_in(texts) == []


def test_the_cli_prints_no_secret(
    sims: Simulators, locked_redis: RedisServer, tmp_path: Path
) -> None:
    secrets = Secrets(sims)
    env = {**secret_env(sims, locked_redis.url), "SYNCD_LOG_LEVEL": "DEBUG"}
    good, bad = tmp_path / "good.env", tmp_path / "bad.env"
    write_env_file(good, {**env, "SYNCD_LOG_FORMAT": "json"})
    write_env_file(
        bad,
        {
            **env,
            "SYNCD_JIRA__API_TOKEN": jira_token(sims)[::-1],
            "SYNCD_INTIGRITI__CLIENT_SECRET": CLIENT_SECRET[::-1],
        },
    )
    secrets.known |= {CLIENT_SECRET[::-1], jira_token(sims)[::-1]}

    runs = [
        run_cli("sync", "--once", "--env-file", str(good)),
        run_cli("check", "--env-file", str(good)),
        run_cli("check", "--env-file", str(bad)),
        run_cli("sync", "--once", "--env-file", str(bad)),
    ]

    texts = [run.stdout for run in runs] + [run.stderr for run in runs]
    assert runs[0].returncode == 0, runs[0].stderr[-2000:]
    assert runs[3].returncode != 0
    assert secrets.found_in(texts) == []


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_shared_token_expires_in_redis_no_later_than_itself(
    sims: Simulators, locked_redis: RedisServer
) -> None:
    settings: Settings = settings_from_env(secret_env(sims, locked_redis.url))

    with open_runtime(settings) as runtime:
        runtime.intigriti.list_programs()
        ttl_ms: Any = runtime.redis.pttl(runtime.tokens.keys.access_token)

    assert 0 < ttl_ms <= TOKEN_TTL_SECONDS * 1000


def test_redis_with_a_password_holds_the_state(
    sims: Simulators, locked_redis: RedisServer
) -> None:
    settings = settings_from_env(secret_env(sims, locked_redis.url))
    anonymous = redis.Redis(host="127.0.0.1", port=locked_redis.port)

    with open_runtime(settings) as runtime:
        report = runtime.engine.run_cycle()
        linked = runtime.state.link_count()

    with pytest.raises(redis.AuthenticationError):
        anonymous.get("syncd:cursor:intigriti:submissions")
    anonymous.close()
    assert report.failures() == 0
    assert linked == len(sims.intigriti.submissions())
