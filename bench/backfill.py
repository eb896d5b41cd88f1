"""Benchmark `syncd backfill` against the simulators (not a timed test).

    .venv/bin/python bench/backfill.py [--sizes 1000 10000] [--latency-ms 20]

The simulators run in this process (their own GIL and core); backfill runs as
a `syncd backfill` subprocess, so its peak RSS and CPU are syncd's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from syncd.sim.redis_server import RedisServer
from syncd.sim.runner import running_simulators, write_env_file

SYNCD = Path(sys.executable).with_name("syncd")
MAPPING = Path(__file__).resolve().parents[1] / "mappings" / "default.yaml"


def calls(entries: list[dict[str, object]]) -> Counter[str]:
    return Counter(
        str(e["method"])
        for e in entries
        if not str(e["path"]).startswith(("/_sim", "/connect"))
    )


def backfill(
    env_file: Path, concurrency: int
) -> tuple[dict[str, object], float, float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(  # noqa: S603 - our own syncd entry point
        [
            str(SYNCD),
            "backfill",
            "--env-file",
            str(env_file),
            "--json",
            "--concurrency",
            str(concurrency),
        ],
        capture_output=True,
        text=True,
        env=clean,
        check=False,
    )
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report, seconds, max(peak, before) / 1024


def measure(size: int, latency_ms: int, concurrency: int, workdir: Path) -> None:
    for label, workers in (("c=1", 1), (f"c={concurrency}", concurrency)):
        with (
            RedisServer(workdir / f"r{size}{workers}") as redis_server,
            running_simulators(seed=3, submissions=size) as sims,
        ):
            env = sims.settings_env(redis_server.url, MAPPING)
            env |= {"SYNCD_LOG_LEVEL": "WARNING", "SYNCD_LOG_FORMAT": "json"}
            env_file = workdir / "sim.env"
            write_env_file(env_file, env)
            sims.jira.set_faults(latency_ms=latency_ms)
            from syncd.sim.intigriti.faults import FaultSettings

            sims.intigriti.set_faults(FaultSettings(latency_ms=latency_ms))
            sims.jira.clear_requests()
            sims.intigriti.clear_requests()
            report, seconds, rss = backfill(env_file, workers)
            n = int(report["created"]) or 1
            jira, intigriti = (
                calls(sims.jira.requests()),
                calls(sims.intigriti.requests()),
            )
            print(
                f"size={size} {label}: {report['created']} created, "
                f"failed={report['failed']}, {seconds:.1f}s, "
                f"{report['created'] / seconds:.1f} submissions/s, "
                f"peak RSS {rss:.0f} MB"
            )
            print(
                "  jira calls/submission:",
                {m: round(c / n, 2) for m, c in sorted(jira.items())},
            )
            print(
                "  intigriti calls/submission:",
                {m: round(c / n, 2) for m, c in sorted(intigriti.items())},
            )
            sims.jira.clear_requests()
            sims.intigriti.clear_requests()
            subprocess.run(  # noqa: S603 - our own syncd entry point
                [str(SYNCD), "sync", "--once", "--env-file", str(env_file), "--json"],
                capture_output=True,
                text=True,
                check=False,
                env={k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")},
            )
            print(
                "  poll cycle with nothing changed: jira",
                dict(calls(sims.jira.requests())),
                "intigriti",
                dict(calls(sims.intigriti.requests())),
                "jira writes",
                sims.jira_writes(),
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            measure(size, args.latency_ms, args.concurrency, Path(tmp))


if __name__ == "__main__":
    main()
