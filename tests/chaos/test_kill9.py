"""`syncd backfill` killed with SIGKILL at random moments, then resumed."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from syncd.sim.intigriti import machine
from syncd.sim.intigriti.errors import BadRequestError, ConflictError
from syncd.sim.runner import Simulators, running_simulators

from .conftest import (
    duplicates,
    env_file,
    figures,
    status_mismatches,
    syncd,
    visible,
)

ROUNDS = int(os.environ.get("CHAOS_KILL_ROUNDS", "20"))
SIZE = int(os.environ.get("CHAOS_KILL_SIZE", "500"))
SEED = 20261203


def _change_some_statuses(sims: Simulators, rng: random.Random, count: int) -> int:
    """Move a few submissions on Intigriti as a triager would."""
    changed = 0
    for sub in rng.sample(visible(sims), count):
        triggers = machine.company_triggers_from(sub.status)
        if not triggers:
            continue
        trigger = rng.choice(triggers)
        reason = "resolved" if trigger == "close" else None
        try:
            sims.intigriti.apply_trigger(sub.code, trigger, reason)
        except (ConflictError, BadRequestError):
            continue  # a move the state machine refuses: a triager could not either
        changed += 1
    return changed


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_kill_9_rounds_then_resume_leave_one_issue_and_every_status(
    redis_url: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    started = time.monotonic()
    with running_simulators(seed=SEED % 1000, submissions=SIZE) as sims:
        path = env_file(sims, redis_url, tmp_path)
        changed = 0
        for _ in range(ROUNDS):
            process = syncd(
                "backfill",
                "--json",
                env_path=path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.3, 2.0))
            process.send_signal(signal.SIGKILL)
            process.wait()
            changed += _change_some_statuses(sims, rng, 3)

        resume = syncd(
            "backfill",
            "--json",
            env_path=path,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        out, _ = resume.communicate(timeout=180)
        carry = syncd(
            "sync",
            "--full",
            env_path=path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        carry.wait(timeout=120)

        report = json.loads(out.strip().splitlines()[-1])
        found = duplicates(sims)
        wrong = status_mismatches(sims)
        figures(
            "kill9",
            rounds=ROUNDS,
            submissions=len(visible(sims)),
            status_changes=changed,
            duplicates=len(found),
            status_wrong=len(wrong),
            seconds=round(time.monotonic() - started, 1),
        )

    assert report["failed"] == 0
    assert found == {}
    assert wrong == []
