"""``syncd demo``: the main job, end to end, on the bundled simulators.

It starts a private redis-server and both simulators, then drives the real
``syncd`` command in subprocesses, exactly as an operator would:

1. ``syncd sync --once --full``: every submission becomes a Jira issue;
2. the same again: nothing is created and nothing is written to Jira;
3. ``syncd run`` for a few cycles while the simulator changes submissions,
   stopped with SIGTERM.

It prints a summary and exits non-zero if any of those claims fails.
"""

from __future__ import annotations

import json
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from syncd.errors import SyncdError
from syncd.sim.redis_server import RedisServer
from syncd.sim.runner import Simulators, running_simulators, write_env_file

MAPPING_FILE = Path(__file__).resolve().parents[1] / "mappings" / "default.yaml"
CYCLE_TIMEOUT_SECONDS = 120.0


class DemoError(SyncdError):
    """A step of the demo could not run."""


def _syncd(*args: str) -> list[str]:
    return [sys.executable, "-m", "syncd", *args]


def _sync_pass(env_file: Path) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        _syncd("sync", "--once", "--full", "--json", "--env-file", str(env_file)),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise DemoError(f"syncd sync exited {done.returncode}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _cycle_lines(stream: Any, cycles: queue.Queue[dict[str, Any]]) -> None:
    """Forward the daemon's cycle summaries (JSON log lines) to the demo."""
    for line in stream:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("event") == "sync.cycle_finished":
            cycles.put(entry)


def _change_some(sims: Simulators, rng: random.Random, count: int) -> list[str]:
    """Act as triagers on Intigriti: retitle and re-rate a few submissions."""
    store = sims.intigriti
    codes = [sub.code for sub in store.submissions() if sub.status != "archived"]
    chosen = rng.sample(codes, min(count, len(codes)))
    for index, code in enumerate(chosen):
        changes: dict[str, Any] = {"title": f"{store.submission(code).title} (v2)"}
        if index % 2:
            changes["severity"] = "critical"
        store.update_submission(code, changes)
    return chosen


def _run_daemon(
    env_file: Path, sims: Simulators, cycles: int, rng: random.Random
) -> tuple[list[dict[str, Any]], int, int]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        _syncd("run", "--env-file", str(env_file), "--interval", "1"),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    summaries: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(
        target=_cycle_lines, args=(process.stderr, summaries), daemon=True
    ).start()
    seen: list[dict[str, Any]] = []
    changed = 0
    try:
        for _ in range(cycles):
            seen.append(summaries.get(timeout=CYCLE_TIMEOUT_SECONDS))
            changed += len(_change_some(sims, rng, 6))
        # A change made while a cycle was listing is picked up by the next one.
        for _ in range(3):
            seen.append(summaries.get(timeout=CYCLE_TIMEOUT_SECONDS))
            if sum(cycle.get("updated", 0) for cycle in seen) >= changed:
                break
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=60)
    return seen, changed, exit_code


def run_demo(*, seed: int, submissions: int, cycles: int) -> None:
    started = time.monotonic()
    rng = random.Random(seed)
    with (
        tempfile.TemporaryDirectory(prefix="syncd-demo-") as tmp,
        RedisServer(Path(tmp) / "redis") as redis_server,
        running_simulators(seed=seed, submissions=submissions) as sims,
    ):
        env_file = Path(tmp) / "demo.env"
        env = sims.settings_env(redis_server.url, MAPPING_FILE)
        env["SYNCD_LOG_FORMAT"] = "json"
        write_env_file(env_file, env)
        visible = len(sims.intigriti.submissions())
        programs = len(sims.intigriti.programs())
        print(f"Intigriti simulator {sims.intigriti_url}: {visible} submissions,")
        print(f"  {programs} programs (seed {seed})")
        print(f"Jira simulator ({sims.jira_flavour.value}) {sims.jira_url}")
        print(f"Redis {redis_server.url}\n")

        first = _sync_pass(env_file)
        print(_line("full sync, pass 1", first))
        writes_before = sims.jira_writes()
        second = _sync_pass(env_file)
        second_writes = sims.jira_writes() - writes_before
        print(_line("full sync, pass 2", second) + f"  jira writes={second_writes}")

        daemon_cycles, changed, exit_code = _run_daemon(env_file, sims, cycles, rng)
        for number, cycle in enumerate(daemon_cycles, start=1):
            print(_line(f"daemon cycle {number}", cycle))
        print(f"  submissions changed on Intigriti meanwhile: {changed}")
        print(f"  daemon exit code after SIGTERM: {exit_code}\n")

        print("Some issues created (submission -> Jira key):")
        for code, key in first["created_issues"][:5]:
            print(f"  {code} -> {key}  {sims.jira_url}/browse/{key}")

        elapsed = time.monotonic() - started
        print(f"\nTime taken: {elapsed:.1f} s")
        problems = _problems(visible, first, second, second_writes, exit_code)
        problems += _daemon_problems(daemon_cycles, changed)
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        raise SystemExit(1)
    print("All demo checks passed.")


def _line(name: str, report: dict[str, Any]) -> str:
    keys = ("created", "updated", "unchanged", "quarantined", "deferred")
    counts = "  ".join(f"{key}={report.get(key, 0)}" for key in keys)
    return f"{name:<18} {counts}  ({report.get('seconds', 0):.1f} s)"


def _problems(
    visible: int,
    first: dict[str, Any],
    second: dict[str, Any],
    second_writes: int,
    exit_code: int,
) -> list[str]:
    problems = []
    if first["created"] != visible:
        problems.append(f"pass 1 created {first['created']} of {visible}")
    if second["created"] != 0 or second["updated"] != 0:
        problems.append("pass 2 created or updated issues")
    if second_writes != 0:
        problems.append(f"pass 2 wrote {second_writes} times to Jira")
    if exit_code != 0:
        problems.append(f"the daemon exited {exit_code} on SIGTERM")
    return problems


def _daemon_problems(cycles: list[dict[str, Any]], changed: int) -> list[str]:
    updated = sum(cycle.get("updated", 0) for cycle in cycles)
    created = sum(cycle.get("created", 0) for cycle in cycles)
    problems = []
    if created:
        problems.append(f"the daemon created {created} issues for old submissions")
    if updated != changed:
        problems.append(f"the daemon updated {updated} issues for {changed} changes")
    return problems
