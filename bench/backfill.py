"""Benchmark `syncd backfill` against the simulators (not a timed test).

    .venv/bin/python bench/backfill.py [--sizes 1000 10000] [--latency-ms 20]
        [--concurrency 32] [--jira-rate 40]

For each size: backfill at concurrency 1 and at the default, in the same
run, on fresh simulators and a fresh Redis each time; then, with
``--jira-rate``, once more with that Jira rate limit configured, to see how
much of it is used. After each run, `syncd sync --once` cycles until one
reads nothing but the lists (the first ones re-read what backfill's own
writes touched): that last one is the idle cycle.

The simulators run in this process; backfill runs as a `syncd backfill`
subprocess, and its peak RSS is that child's own high-water mark.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis

from syncd.sim.intigriti.faults import FaultSettings
from syncd.sim.redis_server import RedisServer
from syncd.sim.runner import Simulators, running_simulators, write_env_file

SYNCD = Path(sys.executable).with_name("syncd")
MAPPING = Path(__file__).resolve().parents[1] / "mappings" / "default.yaml"
WRITES = {"POST", "PUT", "DELETE"}
MAX_CYCLES = 5
QUIET_CALLS = 20  # a search page or two and the list: nothing was re-read
# Jira paths by what they write: /issue, /issue/{id}/comment, ...
_JIRA_WRITE = re.compile(r"/rest/api/\d/issue(?:/[^/]+)?(?:/(?P<what>[a-z]+))?")


def api_calls(sims: Simulators) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Calls to each API by method, and Jira writes by kind."""
    jira: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    for entry in sims.jira.requests():
        path, method = str(entry["path"]), str(entry["method"])
        if path.startswith("/_sim"):
            continue
        jira[method] += 1
        if method in WRITES:
            found = _JIRA_WRITE.match(path)
            kind = (found and found["what"]) or "issue"
            writes[f"{method} {kind}"] += 1
    intigriti = Counter(
        str(e["method"])
        for e in sims.intigriti.requests()
        if not str(e["path"]).startswith(("/_sim", "/connect"))
    )
    return jira, intigriti, writes


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}


@dataclass
class Run:
    """What one syncd command printed and cost."""

    out: str
    seconds: float
    peak_mb: float
    cpu_seconds: float  # user + system
    system_seconds: float
    switches: int  # voluntary + involuntary context switches


def run_syncd(*args: str) -> Run:
    """Run one syncd command: its stdout, seconds, peak RSS and CPU.

    The peak is the child's own ``VmHWM``, read while it runs: ``ru_maxrss``
    from ``wait4`` would report this (much larger) process, whose memory the
    child shares between fork and exec. CPU time and context switches are
    the child's own, from ``wait4``.
    """
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(  # noqa: S603 - our own syncd entry point
            [str(SYNCD), *args],
            stdout=out,
            stderr=subprocess.DEVNULL,
            text=True,
            env=clean_environ(),
        )
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _high_water_kb(child.pid))
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        # Reaped above: tell Popen, so it does not wait again.
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return Run(
            out=out.read(),
            seconds=time.monotonic() - started,
            peak_mb=peak_kb / 1024,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            system_seconds=usage.ru_stime,
            switches=usage.ru_nvcsw + usage.ru_nivcsw,
        )


def _high_water_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def measure(
    size: int,
    latency_ms: int,
    workers: int,
    workdir: Path,
    jira_rate: float | None = None,
) -> float:
    """One backfill on fresh simulators; prints its figures, returns its rate."""
    with (
        RedisServer(workdir / f"r{size}-{workers}-{jira_rate}") as redis_server,
        running_simulators(seed=3, submissions=size) as sims,
    ):
        env = sims.settings_env(redis_server.url, MAPPING)
        env |= {"SYNCD_LOG_LEVEL": "WARNING", "SYNCD_LOG_FORMAT": "json"}
        if jira_rate is not None:
            env["SYNCD_LIMITS__JIRA_REQUESTS_PER_SECOND"] = str(jira_rate)
        env_file = workdir / "sim.env"
        write_env_file(env_file, env)
        sims.jira.set_faults(latency_ms=latency_ms)
        sims.intigriti.set_faults(FaultSettings(latency_ms=latency_ms))
        sims.jira.clear_requests()
        sims.intigriti.clear_requests()
        counter = redis.Redis.from_url(redis_server.url)
        counter.config_resetstat()

        run = run_syncd(
            "backfill",
            "--env-file",
            str(env_file),
            "--json",
            "--concurrency",
            str(workers),
        )
        report = json.loads(run.out.strip().splitlines()[-1])
        created = int(report["created"])
        rate = created / run.seconds
        jira, intigriti, writes = api_calls(sims)
        limit = "" if jira_rate is None else f", jira limit {jira_rate:g}/s"
        print(
            f"size={size} c={workers}{limit}: {created} created, "
            f"updated={report['updated']}, unchanged={report['unchanged']}, "
            f"skipped={report['skipped']}, "
            f"failed={report['failed']}, {run.seconds:.1f} s, "
            f"{rate:.1f} submissions/s, peak RSS {run.peak_mb:.0f} MB"
        )
        for failure in report.get("failures") or []:
            print("  failed:", failure)
        n = created or 1
        print(
            f"  syncd CPU/submission: {1000 * run.cpu_seconds / n:.1f} ms "
            f"({1000 * run.system_seconds / n:.1f} ms system), "
            f"{run.switches / n:.0f} context switches"
        )
        print("  jira calls/submission:", _per(jira, n))
        print("  jira writes/submission:", _per(writes, n))
        print("  intigriti calls/submission:", _per(intigriti, n))
        print("  redis commands/submission:", _per(redis_commands(counter), n))
        counter.close()
        if jira_rate is not None:
            used = sum(jira.values()) / run.seconds
            print(
                f"  jira requests/s: {used:.1f} of {jira_rate:g} "
                f"({100 * used / jira_rate:.0f}%)"
            )

        # The first cycles re-read what backfill's own writes touched (the
        # internal reference moves `lastUpdatedAt`; the Jira poll reads each
        # issue syncd wrote to once, as it falls in its window); then a cycle
        # with nothing changed: at most MAX_CYCLES, until one reads no issue.
        for cycle in range(1, MAX_CYCLES + 1):
            sims.jira.clear_requests()
            sims.intigriti.clear_requests()
            cycle_seconds = run_syncd(
                "sync", "--once", "--env-file", str(env_file), "--json"
            ).seconds
            jira, intigriti, _ = api_calls(sims)
            print(
                f"  poll cycle {cycle} after backfill: {cycle_seconds:.1f} s, "
                f"jira {dict(jira)}, intigriti {dict(intigriti)}, "
                f"jira writes {sims.jira_writes()}"
            )
            if sum(jira.values()) + sum(intigriti.values()) <= QUIET_CALLS:
                break
        return rate


def redis_commands(client: redis.Redis) -> Counter[str]:
    """Commands the server ran since its last CONFIG RESETSTAT, by name."""
    stats: dict[str, dict[str, int]] = client.info("commandstats")
    return Counter(
        {
            name.removeprefix("cmdstat_"): int(stat["calls"])
            for name, stat in stats.items()
            if name not in ("cmdstat_info", "cmdstat_config|resetstat")
        }
    )


def _per(counts: Counter[str], n: int) -> dict[str, float]:
    return {name: round(count / n, 2) for name, count in sorted(counts.items())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--jira-rate",
        type=float,
        default=None,
        help="also run once with this Jira rate limit (requests/s)",
    )
    parser.add_argument(
        "--no-serial", action="store_true", help="skip concurrency 1 (no ratio)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            one = (
                None if args.no_serial else measure(size, args.latency_ms, 1, Path(tmp))
            )
            many = measure(size, args.latency_ms, args.concurrency, Path(tmp))
            if one is not None:
                print(f"size={size}: c={args.concurrency} / c=1 = {many / one:.1f}x")
            if args.jira_rate is not None:
                measure(
                    size, args.latency_ms, args.concurrency, Path(tmp), args.jira_rate
                )


if __name__ == "__main__":
    main()
