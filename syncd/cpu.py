"""Keeping a backfill's threads on one CPU.

Only one thread of a CPython process runs Python at a time (the GIL), and a
backfill's threads hand it over at nearly every socket call. When they sit
on different CPUs, each hand-over wakes a thread on another CPU; on the
2-CPU bench machine that took about a quarter of the run's CPU
(`docs/benchmarks.md`). On one CPU the hand-over is a local switch.
"""

from __future__ import annotations

import os
from pathlib import Path

import structlog

log = structlog.get_logger("syncd.cpu")

# /proc/<pid>/task/<tid>/stat, after the command name: field 39 is the CPU
# the thread last ran on (proc(5)); the name may hold spaces and brackets.
_PROCESSOR_FIELD = 39 - 3


def current_cpu() -> int | None:
    """The CPU the calling thread runs on, where Linux says."""
    try:
        stat = Path("/proc/thread-self/stat").read_bytes()
        return int(stat.rsplit(b")", 1)[1].split()[_PROCESSOR_FIELD])
    except (OSError, IndexError, ValueError):
        return None


def pin_to_one_cpu() -> int | None:
    """Keep the calling thread, and every thread it starts from now on, on
    the CPU the kernel placed it on; that CPU, or None where nothing was
    changed (not Linux, one CPU allowed anyway, the CPU unknown, or the
    call refused, e.g. by a seccomp filter)."""
    if not hasattr(os, "sched_setaffinity"):
        log.info("cpu.not_pinned", reason="unsupported")
        return None
    allowed = os.sched_getaffinity(0)
    cpu = current_cpu()
    if len(allowed) < 2:
        return None  # already on one CPU
    if cpu not in allowed:
        log.info("cpu.not_pinned", reason="cpu_unknown")
        return None
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:
        log.warning("cpu.not_pinned", reason="refused", error=type(exc).__name__)
        return None
    log.info("cpu.pinned", cpu=cpu, allowed_cpus=len(allowed))
    return cpu
