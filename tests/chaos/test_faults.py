"""Faults from both simulators: the run completes and its result is exact."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from syncd.engine import Outcome
from syncd.errors import SyncdError
from syncd.runtime import open_runtime
from syncd.sim.intigriti.faults import FaultSettings
from syncd.sim.runner import Simulators, running_simulators
from tests.conftest import MAPPING_DIR, settings_from_env

from .conftest import FAST, duplicates, figures, issues_by_code

SIZE = 30
SEED = 41
COMPARED = ("summary", "description", "labels", "priority")


def _fields(sims: Simulators) -> dict[str, dict[str, Any]]:
    """What syncd wrote, per submission, free of ids and ports."""
    found = {}
    for code, issues in issues_by_code(sims).items():
        raw = sims.jira.issue_snapshot(str(issues[0].id))["fields"]
        found[code] = {
            name: str(raw.get(name))
            .replace(sims.jira_url, "JIRA")
            .replace(sims.intigriti_url, "INTIGRITI")
            for name in COMPARED
        }
    return found


def _sync_until_quiet(
    sims: Simulators, redis_url: str, jira_faults: dict[str, Any] | None
) -> int:
    """Full passes until one changes nothing and leaves nothing over; cycles."""
    env = sims.settings_env(redis_url, MAPPING_DIR / "default.yaml") | FAST
    settings = settings_from_env(env)
    cycles = 0
    faults = jira_faults is not None
    with open_runtime(settings) as runtime:
        if jira_faults is not None:  # start-up is not under test here
            sims.jira.set_faults(**jira_faults)
        for cycles in range(1, 41):
            if faults:
                form = "seconds" if cycles % 2 else "http-date"
                sims.intigriti.set_faults(
                    FaultSettings(
                        error_rate=0.10,
                        throttle_rate=0.05,
                        retry_after=1,
                        retry_after_form=form,
                        drop_rate=0.02,
                        seed=cycles,
                    )
                )
            try:
                report = runtime.engine.run_cycle(full=True)
            except SyncdError:
                continue
            changes = report.count(Outcome.CREATED) + report.count(Outcome.UPDATED)
            quiet = report.failures() == 0 and changes == 0
            if quiet:
                return cycles
    return cycles


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_faults_on_both_sides_end_in_the_fault_free_result(
    redis_server: Any, tmp_path: Path
) -> None:
    import redis

    started = time.monotonic()
    client = redis.Redis.from_url(redis_server.url)
    with running_simulators(seed=SEED, submissions=SIZE) as reference:
        client.flushdb()
        _sync_until_quiet(reference, redis_server.url, None)
        expected = _fields(reference)

    client.flushdb()
    with running_simulators(seed=SEED, submissions=SIZE) as sims:
        jira_faults = {
            "error_rate": 0.10,
            "retry_after_s": 1,
            "drop_rate": 0.02,
            "drop_after_rate": 0.02,
            "burst_per_second": 40,
        }
        cycles = _sync_until_quiet(sims, redis_server.url, jira_faults)
        sims.intigriti.clear_faults()
        sims.jira.clear_faults()
        _sync_until_quiet(sims, redis_server.url, None)
        found = duplicates(sims)
        written = _fields(sims)
        failed = sum(1 for e in sims.jira.requests() if e["status"] >= 429)
        throttled = sum(
            1 for e in sims.intigriti.requests() if e["status"] in (429, 503)
        )
    client.close()
    figures(
        "faults",
        submissions=len(expected),
        cycles_to_quiet=cycles,
        jira_faulted_answers=failed,
        intigriti_faulted_answers=throttled,
        duplicates=len(found),
        seconds=round(time.monotonic() - started, 1),
    )

    assert found == {}
    assert written == expected
