"""Keeping a process's threads on one CPU.

Only one thread of a CPython process runs Python at a time (the GIL). When
its threads sit on different CPUs, every hand-over of the lock is a wake-up
across CPUs; a backfill's threads hand it over hundreds of times per
submission, and on a 2-CPU machine that cost more than the work itself
(`docs/benchmarks.md`). On one CPU the hand-over is a cheap local switch.
"""

from __future__ import annotations

import os
from pathlib import Path

import structlog

log = structlog.get_logger()

# /proc/<pid>/task/<tid>/stat, after the command name: field 39 is the CPU
# the thread last ran on (proc(5)); the name may hold spaces and brackets.
_PROCESSOR_FIELD = 39 - 3


def current_cpu() -> int | None:
    """The CPU the calling thread runs on, where Linux says."""
    try:
        stat = Path("/proc/thread-self/stat").read_text(encoding="ascii")
        return int(stat.rsplit(")", 1)[1].split()[_PROCESSOR_FIELD])
    except (OSError, IndexError, ValueError):
        return None


def pin_to_one_cpu() -> int | None:
    """Keep the calling thread, and every thread it starts from now on, on
    the CPU it runs on; that CPU, or None where nothing was changed (not
    Linux, one CPU allowed anyway, or the CPU unknown)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    cpu = current_cpu()
    if len(allowed) < 2 or cpu not in allowed:
        return None
    os.sched_setaffinity(0, {cpu})
    log.info("cpu.pinned", cpu=cpu, allowed=len(allowed))
    return cpu
