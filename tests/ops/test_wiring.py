"""The operations layer around a real runtime: simulators, Redis, the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from syncd.ops.wiring import Operations
from syncd.runtime import Runtime, open_runtime
from syncd.settings import Settings, load_settings
from syncd.sim.intigriti import IntigritiSimConfig
from syncd.sim.runner import Simulators, running_simulators, write_env_file
from syncd.sim.server import free_port
from syncd.worker import ItemSyncer, run_forever

from ..conftest import MAPPING_DIR, settings_from_env

WEBHOOK_SECRET = "sim-webhook-secret"


def sample(ops: Operations, name: str, **labels: str) -> float:
    return ops.metrics.registry.get_sample_value(name, labels) or 0.0


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with open_runtime(settings) as opened:
        yield opened


def test_a_cycle_moves_the_sync_api_and_token_metrics(
    simulators: Simulators, settings: Settings, runtime: Runtime
) -> None:
    ops = Operations(settings)
    ops.attach(runtime)
    count = len(simulators.intigriti.submissions())

    run_forever(
        runtime.engine,
        interval_seconds=0,
        stop=threading.Event(),
        max_cycles=1,
        observer=ops,
    )

    text = ops.metrics.render().decode()
    assert sample(ops, "syncd_submissions_synced_total", outcome="created") == count
    assert sample(ops, "syncd_sync_cycle_duration_seconds_count") == 1
    jira_posts = sum(
        1
        for entry in simulators.jira.requests()
        if entry["method"] == "POST" and not str(entry["path"]).startswith("/_sim")
    )
    assert jira_posts > 0
    assert jira_posts == sample(
        ops, "syncd_api_request_duration_seconds_count", api="jira", method="POST"
    )
    assert (
        sample(
            ops,
            "syncd_api_request_duration_seconds_count",
            api="intigriti",
            method="GET",
        )
        >= count
    )
    assert sample(ops, "syncd_token_refreshes_total") == 1
    assert sample(ops, "syncd_quarantined_submissions") == 0
    assert 0 <= sample(ops, "syncd_cursor_lag_seconds") < 10 * 86400 * 365
    assert "syncd_cursor_lag_seconds" in text
    assert ops.health.ready()


def test_failed_api_answers_count_as_errors_by_kind(
    simulators: Simulators, settings: Settings, runtime: Runtime
) -> None:
    ops = Operations(settings)
    ops.attach(runtime)
    simulators.jira.set_faults(error_rate=1.0)

    run_forever(
        runtime.engine,
        interval_seconds=0,
        stop=threading.Event(),
        max_cycles=1,
        observer=ops,
    )

    assert sample(ops, "syncd_errors_total", source="jira", kind="ServiceUnavailable")


@pytest.fixture
def webhook_port() -> int:
    return free_port()


@pytest.fixture
def hooked_simulators(webhook_port: int) -> Iterator[Simulators]:
    config = IntigritiSimConfig(
        seed=11,
        size=12,
        webhook_url=f"http://127.0.0.1:{webhook_port}/webhooks/intigriti",
        webhook_secret=SecretStr(WEBHOOK_SECRET),
    )
    with running_simulators(seed=11, submissions=12, intigriti_config=config) as sims:
        yield sims


def test_a_signed_webhook_syncs_a_new_submission_before_the_next_poll(
    hooked_simulators: Simulators, redis_url: str, webhook_port: int
) -> None:
    env = hooked_simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    env["SYNCD_HTTP__PORT"] = str(webhook_port)
    env["SYNCD_WEBHOOKS__INTIGRITI_SECRET"] = WEBHOOK_SECRET
    settings = settings_from_env(env)
    ops = Operations(settings)
    stop = threading.Event()

    with open_runtime(settings) as runtime, ops.serving(runtime):
        loop = threading.Thread(
            target=run_forever,
            args=(runtime.engine,),
            kwargs={
                "interval_seconds": 600,
                "stop": stop,
                "triggers": ops.triggers,
                "sync_item": ItemSyncer(runtime.engine),
                "observer": ops,
            },
        )
        loop.start()
        try:
            wait_for(lambda: sample(ops, "syncd_sync_cycle_duration_seconds_count") > 0)
            code = hooked_simulators.intigriti.create_submission()
            wait_for(lambda: runtime.state.link(code) is not None)
            ready = httpx.get(f"http://127.0.0.1:{webhook_port}/readyz")
        finally:
            stop.set()
            loop.join(timeout=30)

    assert (
        sample(
            ops, "syncd_webhook_deliveries_total", source="intigriti", result="accepted"
        )
        == 1
    )
    assert sample(ops, "syncd_sync_cycle_duration_seconds_count") == 1
    assert ready.status_code == 200


def test_syncd_run_tells_systemd_it_is_ready_and_stopping(
    simulators: Simulators, redis_url: str, tmp_path: Path
) -> None:
    env_file = tmp_path / "syncd.env"
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    env["SYNCD_HTTP__PORT"] = "0"
    write_env_file(env_file, env)
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(30)
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "syncd",
                "run",
                "--env-file",
                str(env_file),
                "--max-cycles",
                "1",
            ],
            env={**clean, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "60000000"},
            capture_output=True,
            timeout=90,
            check=False,
        )
        messages = [sock.recv(4096).decode()]
        sock.settimeout(0.5)
        while True:
            try:
                messages.append(sock.recv(4096).decode())
            except TimeoutError:
                break

    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert messages[0] == "READY=1\nSTATUS=syncing"
    assert messages[-1] == "STOPPING=1"
    assert "WATCHDOG=1" in messages


def test_systemd_credentials_directory_supplies_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "jira__personal_access_token").write_text("pat-from-systemd")
    (credentials / "webhooks__intigriti_secret").write_text("hook-from-systemd")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    monkeypatch.setenv("SYNCD_INTIGRITI__AUTH", "static")
    monkeypatch.setenv("SYNCD_INTIGRITI__STATIC_TOKEN", "token")
    monkeypatch.setenv("SYNCD_JIRA__URL", "https://jira.example.test")

    settings = load_settings()

    pat = settings.jira.personal_access_token
    secret = settings.webhooks.intigriti_secret
    assert pat is not None and pat.get_secret_value() == "pat-from-systemd"
    assert secret is not None and secret.get_secret_value() == "hook-from-systemd"
