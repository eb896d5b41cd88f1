"""Keeping a process's threads on one CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from syncd.cpu import current_cpu
from syncd.settings import BackfillSettings

# Pinning changes the calling process for good: it is tried in a child.
CHILD = """
import json, os, threading
from syncd.cpu import pin_to_one_cpu
cpu = pin_to_one_cpu()
seen = {}
worker = threading.Thread(target=lambda: seen.update(t=sorted(os.sched_getaffinity(0))))
worker.start()
worker.join()
print(json.dumps({"cpu": cpu, "main": sorted(os.sched_getaffinity(0)), **seen}))
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


def test_the_current_cpu_is_one_this_process_may_use() -> None:
    assert current_cpu() in os.sched_getaffinity(0)


@pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to choose from"
)
def test_pinning_keeps_the_caller_and_its_later_threads_on_its_cpu() -> None:
    result = _child()

    assert isinstance(result["cpu"], int)
    assert result["main"] == [result["cpu"]]
    assert result["t"] == [result["cpu"]]


def test_nothing_changes_when_only_one_cpu_is_allowed() -> None:
    one = min(os.sched_getaffinity(0))

    result = _child("taskset", "-c", str(one))

    assert result == {"cpu": None, "main": [one], "t": [one]}


def test_a_backfill_keeps_to_one_cpu_unless_told_otherwise() -> None:
    assert BackfillSettings().one_cpu is True
    assert BackfillSettings(one_cpu=False).one_cpu is False
