"""The ``syncd`` command, run as a real process against the simulators."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from syncd.sim.runner import Simulators, write_env_file
from syncd.sim.server import free_port

from .conftest import MAPPING_DIR, mapping_rejected_for

SYNCD = [sys.executable, "-m", "syncd"]
DEADLINE_SECONDS = 90  # generous: CI has 2 cores and the chaos suite beside


def syncd(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SYNCD, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


class Child:
    """A long-running ``syncd`` process whose output threads read, so that
    waiting for a line has a deadline instead of blocking the test."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [*SYNCD, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: dict[str, queue.Queue[str | None]] = {}
        self._text: dict[str, list[str]] = {}
        self._readers = [
            self._read("stdout", self.process.stdout),
            self._read("stderr", self.process.stderr),
        ]

    def _read(self, name: str, stream: IO[str] | None) -> threading.Thread:
        assert stream is not None
        lines: queue.Queue[str | None] = queue.Queue()
        self._lines[name], self._text[name] = lines, []

        def pump() -> None:
            for line in stream:
                self._text[name].append(line)
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        return reader

    def wait_for(self, name: str, text: str, timeout: float = DEADLINE_SECONDS) -> str:
        """The next line of stream ``name`` holding ``text``; fail at the deadline.

        Lines before it are consumed (``output`` still has them).
        """
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines[name].get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"syncd exited before {text!r}:\n{self.output(name)}")
            if text in line:
                return line
        pytest.fail(f"no {text!r} within {timeout}s:\n{self.output(name)}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = DEADLINE_SECONDS) -> int:
        """Signal the process and wait for it and its output."""
        self.process.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = DEADLINE_SECONDS) -> int:
        code = self.process.wait(timeout=timeout)
        self._close(timeout)
        return code

    def _close(self, timeout: float) -> None:
        for reader in self._readers:
            reader.join(timeout=timeout)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def output(self, name: str) -> str:
        return "".join(self._text[name])

    def end(self) -> None:
        """Make sure nothing outlives the test: SIGTERM first (so the child
        can stop its own children), then SIGKILL."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close(timeout=10)


@pytest.fixture
def spawn() -> Iterator[Callable[..., Child]]:
    """Start ``syncd`` processes that are ended whatever the test's result."""
    children: list[Child] = []

    def start(*args: str) -> Child:
        children.append(Child(*args))
        return children[-1]

    yield start
    for child in children:
        child.end()


def children_of(pid: int) -> list[int]:
    """Live (non-zombie) processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


@pytest.fixture
def env_file(simulators: Simulators, redis_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "syncd.env"
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    # Port 0: the default 8080 may be taken on the host running the tests.
    write_env_file(path, {**env, "SYNCD_LOG_FORMAT": "json", "SYNCD_HTTP__PORT": "0"})
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


def test_check_sends_the_client_secret_even_with_a_token_cached(
    env_file: Path, tmp_path: Path
) -> None:
    assert syncd("check", "--env-file", str(env_file)).returncode == 0  # caches
    wrong = tmp_path / "wrong.env"
    wrong.write_text(
        env_file.read_text() + "SYNCD_INTIGRITI__CLIENT_SECRET=not-the-secret\n"
    )

    done = syncd("check", "--env-file", str(wrong))

    assert done.returncode == 1
    lines = done.stdout.splitlines()
    token_line = next(line for line in lines if "intigriti token" in line)
    assert token_line.startswith("[FAIL]")
    assert "[FAIL] intigriti api: not tried: no token" in done.stdout
    assert "not-the-secret" not in done.stdout + done.stderr


@pytest.mark.parametrize("interval", ["0", "-1", "nan", "inf"])
def test_run_refuses_an_interval_that_is_no_pause(interval: str) -> None:
    done = syncd("run", "--interval", interval)

    assert done.returncode == 2
    assert "'--interval': must be a number of seconds above 0" in done.stderr


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


def test_run_with_its_port_taken_is_one_line_naming_the_setting(
    env_file: Path, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "taken.env"
        path.write_text(
            env_file.read_text()
            + f"SYNCD_HTTP__ENABLED=true\nSYNCD_HTTP__PORT={port}\n"
        )

        done = syncd("run", "--env-file", str(path))

    assert done.returncode == 2
    assert "SYNCD_HTTP__PORT" in done.stderr
    assert "Traceback" not in done.stderr


def test_backfill_refuses_a_since_after_its_until(env_file: Path) -> None:
    done = syncd(
        "backfill",
        "--env-file",
        str(env_file),
        "--since",
        "2030-01-01",
        "--until",
        "2020-01-01",
    )

    assert done.returncode == 2
    assert "is not before --until" in done.stderr


def test_missing_settings_name_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "empty.env"
    path.write_text("SYNCD_JIRA__URL=http://127.0.0.1:9\n")

    done = syncd("sync", "--once", "--env-file", str(path))

    assert done.returncode != 0
    assert "SYNCD_INTIGRITI" in done.stderr
    assert "SYNCD_JIRA" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_stops_cleanly_on_sigterm(
    env_file: Path, spawn: Callable[..., Child]
) -> None:
    child = spawn("run", "--env-file", str(env_file), "--interval", "0.2")
    child.wait_for("stderr", "sync.cycle_finished")

    returncode = child.stop(signal.SIGTERM)

    assert returncode == 0
    assert "worker.stopped" in child.output("stderr")


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


def test_simulate_writes_an_env_file_that_syncd_can_use(
    tmp_path: Path, spawn: Callable[..., Child]
) -> None:
    env_path = tmp_path / "sim.env"
    child = spawn("simulate", "--submissions", "20", "--env-file", str(env_path))
    child.wait_for("stdout", "Press Ctrl-C to stop.")
    mode = oct(env_path.stat().st_mode & 0o777)

    done = syncd("sync", "--once", "--json", "--env-file", str(env_path))
    returncode = child.stop(signal.SIGINT)

    assert mode == "0o600"
    assert done.returncode == 0, done.stderr
    assert '"created": ' in done.stdout
    assert returncode == 0
    out = child.output("stdout")
    assert "Intigriti simulator: http://127.0.0.1:" in out
    assert "Jira simulator (cloud): http://127.0.0.1:" in out
    assert "SYNCD_INTIGRITI__CLIENT_ID=" in out
    assert env_path.stat().st_size > 0


def test_simulate_stops_its_redis_and_servers_on_sigterm(
    tmp_path: Path, spawn: Callable[..., Child]
) -> None:
    child = spawn("simulate", "--submissions", "5", "--env-file", str(tmp_path / "e"))
    child.wait_for("stdout", "Press Ctrl-C to stop.")
    redis_pids = children_of(child.process.pid)
    [jira_line] = [
        line for line in child.output("stdout").splitlines() if "Jira sim" in line
    ]
    jira_url = jira_line.split(": ", 1)[1]
    assert len(redis_pids) == 1

    returncode = child.stop(signal.SIGTERM)

    assert returncode == 0
    assert "Stopping the simulators." in child.output("stdout")
    assert not alive(redis_pids[0])
    with pytest.raises(httpx.ConnectError):
        httpx.get(jira_url, timeout=2)


def test_auth_login_stores_a_refresh_token_that_sync_then_uses(
    simulators: Simulators,
    redis_url: str,
    tmp_path: Path,
    spawn: Callable[..., Child],
) -> None:
    path = tmp_path / "login.env"
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    env["SYNCD_INTIGRITI__AUTH"] = "refresh_token"
    env["SYNCD_INTIGRITI__REDIRECT_URI"] = f"http://127.0.0.1:{free_port()}/callback"
    write_env_file(path, env)
    login = spawn("auth", "login", "--env-file", str(path))
    url = login.wait_for("stdout", "  http").strip()

    # The browser: the simulator consents and redirects to the loopback callback.
    consent = httpx.get(url, follow_redirects=True, timeout=10)
    returncode = login.wait()
    done = syncd("sync", "--once", "--json", "--env-file", str(path))

    assert consent.status_code == 200
    assert returncode == 0, login.output("stderr")
    assert "refresh token is stored" in login.output("stdout")
    assert done.returncode == 0, done.stderr
    grants = simulators.intigriti.counters()["tokens_issued"]
    assert grants == {"authorization_code": 1}


def test_sync_without_once_runs_one_cycle(env_file: Path) -> None:
    done = syncd("sync", "--json", "--env-file", str(env_file))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 12


@pytest.fixture
def broken(
    simulators: Simulators, redis_url: str, tmp_path: Path
) -> tuple[Path, Path, list[str]]:
    """An env file whose mapping Jira rejects for one program's submissions,
    the mapping file, and the codes quarantined by one sync."""
    first = simulators.intigriti.programs()[0]
    mapping = mapping_rejected_for(first.handle, tmp_path)
    path = tmp_path / "broken.env"
    env = simulators.settings_env(redis_url, mapping)
    write_env_file(path, {**env, "SYNCD_LOG_FORMAT": "json"})
    done = syncd("sync", "--env-file", str(path))
    assert done.returncode == 1, done.stderr
    codes = sorted(
        sub.code
        for sub in simulators.intigriti.submissions()
        if sub.program_id == first.id
    )
    assert codes
    return path, mapping, codes


def fix(mapping: Path) -> None:
    mapping.write_text((MAPPING_DIR / "default.yaml").read_text())


def test_dlq_list_shows_each_quarantined_submission(
    broken: tuple[Path, Path, list[str]],
) -> None:
    path, _, codes = broken

    as_json = syncd("dlq", "list", "--json", "--env-file", str(path))
    as_text = syncd("dlq", "list", "--env-file", str(path))

    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout)
    assert [record["code"] for record in records] == codes
    assert {record["error"] for record in records} == {"RejectedError"}
    assert all(record["updated_at"] > 0 and record["reason"] for record in records)
    assert as_text.stdout.splitlines()[0].split() == [
        "CODE",
        "ERROR",
        "QUARANTINED",
        "AT",
        "VERSION",
        "REASON",
    ]
    assert len(as_text.stdout.splitlines()) == len(codes) + 1


def test_dlq_retry_syncs_a_submission_once_the_mapping_is_fixed(
    broken: tuple[Path, Path, list[str]],
) -> None:
    path, mapping, codes = broken
    failed = syncd("dlq", "retry", codes[0], "--env-file", str(path))
    fix(mapping)

    done = syncd("dlq", "retry", codes[0], "--env-file", str(path))
    left = syncd("dlq", "list", "--json", "--env-file", str(path))

    assert failed.returncode == 1
    assert failed.stdout.startswith(f"{codes[0]}: quarantined again (RejectedError: ")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{codes[0]}: created\n"
    assert [record["code"] for record in json.loads(left.stdout)] == codes[1:]


def test_dlq_retry_refuses_a_code_that_is_not_quarantined(
    broken: tuple[Path, Path, list[str]],
) -> None:
    path, _, _ = broken

    done = syncd("dlq", "retry", "NOPE-1", "--env-file", str(path))

    assert done.returncode == 1
    assert "NOPE-1: not quarantined" in done.stderr


@pytest.mark.parametrize("args", [(), ("--all", "ACME-1")])
def test_dlq_needs_codes_or_all_but_not_both(
    env_file: Path, args: tuple[str, ...]
) -> None:
    done = syncd("dlq", "drop", *args, "--env-file", str(env_file))

    assert done.returncode == 2
    assert "name submission codes or give --all" in done.stderr


def test_dlq_drop_releases_without_syncing_and_a_full_sync_retries(
    broken: tuple[Path, Path, list[str]], simulators: Simulators
) -> None:
    path, mapping, codes = broken
    writes = simulators.jira_writes()

    dropped = syncd("dlq", "drop", "--all", "--env-file", str(path))
    left = syncd("dlq", "list", "--json", "--env-file", str(path))
    writes_after_drop = simulators.jira_writes()
    fix(mapping)
    full = syncd("sync", "--full", "--json", "--env-file", str(path))

    assert dropped.returncode == 0, dropped.stderr
    assert dropped.stdout.splitlines() == [f"{code}: dropped" for code in codes]
    assert json.loads(left.stdout) == []
    assert writes_after_drop == writes
    assert json.loads(full.stdout)["created"] == len(codes)


def test_full_sync_skips_quarantined_unless_told_to_retry_them(
    broken: tuple[Path, Path, list[str]],
) -> None:
    path, mapping, codes = broken
    fix(mapping)

    skipped = syncd("sync", "--full", "--json", "--env-file", str(path))
    retried = syncd(
        "sync", "--full", "--retry-quarantined", "--json", "--env-file", str(path)
    )
    alone = syncd("sync", "--retry-quarantined", "--env-file", str(path))

    assert json.loads(skipped.stdout)["quarantined"] == len(codes)
    assert retried.returncode == 0, retried.stderr
    assert f"Released {len(codes)} quarantined" in retried.stderr
    report = json.loads(retried.stdout)
    assert (report["created"], report["quarantined"]) == (len(codes), 0)
    assert alone.returncode == 2
    assert "--retry-quarantined needs --full" in alone.stderr


def test_a_service_failure_is_one_clear_line_not_a_traceback(
    simulators: Simulators, env_file: Path
) -> None:
    simulators.jira.set_faults(error_rate=1.0)

    done = syncd("sync", "--once", "--env-file", str(env_file))

    assert done.returncode == 1
    assert "Error: ServiceUnavailable: jira server_info" in done.stderr
    assert "Traceback" not in done.stderr
