"""The ``syncd`` command, run as a real process against the simulators."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from syncd.sim.runner import Simulators, write_env_file
from syncd.sim.server import free_port

from .conftest import MAPPING_DIR

SYNCD = [sys.executable, "-m", "syncd"]


def syncd(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SYNCD, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def env_file(simulators: Simulators, redis_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "syncd.env"
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    write_env_file(path, {**env, "SYNCD_LOG_FORMAT": "json"})
    return path


def test_sync_once_prints_a_report_and_exits_zero(env_file: Path) -> None:
    done = syncd("sync", "--once", "--env-file", str(env_file))

    assert done.returncode == 0, done.stderr
    report = dict(line.split(":", 1) for line in done.stdout.splitlines())
    assert report["     created"].strip() == "12"


def test_check_reports_every_part_fine(env_file: Path) -> None:
    done = syncd("check", "--env-file", str(env_file))

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split("]")[0] for line in lines] == ["[ok  "] * 6
    assert "cloud" in done.stdout


def test_redis_unavailable_at_start_is_a_clear_error(
    simulators: Simulators, tmp_path: Path
) -> None:
    path = tmp_path / "syncd.env"
    closed = f"redis://127.0.0.1:{free_port()}/0"
    write_env_file(path, simulators.settings_env(closed, MAPPING_DIR / "default.yaml"))

    done = syncd("sync", "--once", "--env-file", str(path))

    assert done.returncode == 2
    assert "Redis is not reachable" in done.stderr
    assert "SYNCD_REDIS__URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_settings_name_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "empty.env"
    path.write_text("SYNCD_JIRA__URL=http://127.0.0.1:9\n")

    done = syncd("sync", "--once", "--env-file", str(path))

    assert done.returncode != 0
    assert "SYNCD_INTIGRITI" in done.stderr
    assert "SYNCD_JIRA" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_stops_cleanly_on_sigterm(env_file: Path) -> None:
    process = subprocess.Popen(
        [*SYNCD, "run", "--env-file", str(env_file), "--interval", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "sync.cycle_finished" in line:
            break

    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)

    assert process.returncode == 0
    assert "worker.stopped" in rest


def test_mapping_check_accepts_every_shipped_mapping() -> None:
    files = sorted(str(path) for path in MAPPING_DIR.glob("*.yaml"))

    done = syncd("mapping", "check", *files)

    assert done.returncode == 0, done.stdout
    assert done.stdout.count("[ok  ]") == len(files)


def test_mapping_check_names_file_line_and_key(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ndefaults:\n  project: SEC\n  isue_type: Bug\n")

    done = syncd("mapping", "check", str(broken))

    assert done.returncode == 1
    assert f"{broken}:4" in done.stdout
    assert "isue_type" in done.stdout


def test_simulate_writes_an_env_file_that_syncd_can_use(tmp_path: Path) -> None:
    env_path = tmp_path / "sim.env"
    process = subprocess.Popen(
        [*SYNCD, "simulate", "--submissions", "20", "--env-file", str(env_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not env_path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert env_path.exists()
        assert oct(env_path.stat().st_mode & 0o777) == "0o600"

        done = syncd("sync", "--once", "--json", "--env-file", str(env_path))
        assert done.returncode == 0, done.stderr
        assert '"created": ' in done.stdout
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)

    assert process.returncode == 0
    assert "Intigriti simulator: http://127.0.0.1:" in out
    assert "Jira simulator (cloud): http://127.0.0.1:" in out
    assert "SYNCD_INTIGRITI__CLIENT_ID=" in out
    assert env_path.stat().st_size > 0


def test_auth_login_stores_a_refresh_token_that_sync_then_uses(
    simulators: Simulators, redis_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "login.env"
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    env["SYNCD_INTIGRITI__AUTH"] = "refresh_token"
    env["SYNCD_INTIGRITI__REDIRECT_URI"] = f"http://127.0.0.1:{free_port()}/callback"
    write_env_file(path, env)
    login = subprocess.Popen(
        [*SYNCD, "auth", "login", "--env-file", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert login.stdout is not None
    url = next(line.strip() for line in login.stdout if line.startswith("  http"))

    # The browser: the simulator consents and redirects to the loopback callback.
    consent = httpx.get(url, follow_redirects=True, timeout=10)
    out, err = login.communicate(timeout=30)
    done = syncd("sync", "--once", "--json", "--env-file", str(path))

    assert consent.status_code == 200
    assert login.returncode == 0, err
    assert "refresh token is stored" in out
    assert done.returncode == 0, done.stderr
    grants = simulators.intigriti.counters()["tokens_issued"]
    assert grants == {"authorization_code": 1}
