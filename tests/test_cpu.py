"""Keeping a backfill's threads on one CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from structlog.testing import capture_logs

from syncd.cpu import pin_to_one_cpu

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux's"
)
ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
two_cpus = pytest.mark.skipif(len(ALLOWED) < 2, reason="needs two CPUs")
with_taskset = pytest.mark.skipif(
    shutil.which("taskset") is None, reason="needs util-linux's taskset"
)

# Pinning changes the calling process for good: it is tried in a child.
CHILD = """
import json, os, threading
from syncd.cpu import current_cpu, pin_to_one_cpu
before = current_cpu()
cpu = pin_to_one_cpu()
seen = {}
worker = threading.Thread(target=lambda: seen.update(t=sorted(os.sched_getaffinity(0))))
worker.start()
worker.join()
main = sorted(os.sched_getaffinity(0))
print(json.dumps({"before": before, "cpu": cpu, "main": main, **seen}))
"""


def _child(*taskset: str) -> dict[str, object]:
    done = subprocess.run(
        [*taskset, sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@with_taskset
def test_the_current_cpu_is_the_one_the_thread_runs_on() -> None:
    for cpu in {ALLOWED[0], ALLOWED[-1]}:
        assert _child("taskset", "-c", str(cpu))["before"] == cpu


@two_cpus
def test_pinning_keeps_the_caller_and_its_later_threads_on_its_cpu() -> None:
    result = _child()

    # The kernel may move the child between reading its CPU and pinning.
    assert result["cpu"] in ALLOWED
    assert result["main"] == [result["cpu"]]
    assert result["t"] == [result["cpu"]]


@with_taskset
def test_nothing_changes_when_only_one_cpu_is_allowed() -> None:
    one = ALLOWED[-1]

    result = _child("taskset", "-c", str(one))

    assert (result["cpu"], result["main"], result["t"]) == (None, [one], [one])


@two_cpus
def test_a_refused_pin_is_logged_and_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(pid: int, cpus: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # seccomp's EPERM

    monkeypatch.setattr(os, "sched_setaffinity", refuse)

    with capture_logs() as logs:
        assert pin_to_one_cpu() is None

    assert logs == [
        {
            "event": "cpu.not_pinned",
            "reason": "refused",
            "error": "PermissionError",
            "log_level": "warning",
        }
    ]
