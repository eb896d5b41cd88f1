"""Helpers of the chaos suite: subprocesses, and what must hold afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from syncd.sim.runner import Simulators, write_env_file
from tests.conftest import MAPPING_DIR

SYNCD = Path(sys.executable).with_name("syncd")

FAST = {
    "SYNCD_SYNC__CLAIM_TTL_SECONDS": "2",
    "SYNCD_SYNC__UNCERTAIN_CREATE_SETTLE_SECONDS": "1",
    "SYNCD_SYNC__POLL_INTERVAL_SECONDS": "0.5",
    "SYNCD_SYNC__OVERLAP_SECONDS": "5",
    "SYNCD_JIRA__RETRY_INITIAL_SECONDS": "0.05",
    "SYNCD_JIRA__RETRY_MAX_SECONDS": "2",
    "SYNCD_HTTP__ENABLED": "false",
    "SYNCD_ATTACHMENTS__ENABLED": "false",
    "SYNCD_LOG_FORMAT": "json",
}

# Where the default mapping sends each Intigriti status, as a status category.
EXPECTED_CATEGORY = {
    "closed": "done",
    "archived": "done",
    "accepted": "indeterminate",
    "triage": "new",
    "pending": "new",
}


def env_file(sims: Simulators, redis_url: str, tmp: Path, **extra: str) -> Path:
    env = sims.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    path = tmp / "chaos.env"
    write_env_file(path, env | FAST | extra)
    return path


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}


def syncd(*args: str, env_path: Path, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SYNCD), *args, "--env-file", str(env_path)],
        env=clean_environ(),
        text=True,
        **popen,
    )


def issues_by_code(sims: Simulators) -> dict[str, list[Any]]:
    """Every Jira issue, grouped by the submission its label names."""
    found: dict[str, list[Any]] = {}
    for issue in list(sims.jira.issues.values()):
        for label in issue.fields.get("labels") or []:
            if label.startswith("intigriti-"):
                found.setdefault(label.removeprefix("intigriti-"), []).append(issue)
    return found


def duplicates(sims: Simulators) -> dict[str, int]:
    """Submissions with other than one issue (missing ones count as 0)."""
    found = issues_by_code(sims)
    counts = Counter(
        {s.code.lower(): len(found.get(s.code.lower(), [])) for s in visible(sims)}
    )
    return {code: n for code, n in counts.items() if n != 1}


def visible(sims: Simulators) -> list[Any]:
    return list(sims.intigriti.submissions())


def status_mismatches(sims: Simulators) -> list[str]:
    """Submissions whose Jira status category is not what the mapping says."""
    found = issues_by_code(sims)
    wrong = []
    for sub in visible(sims):
        issues = found.get(sub.code.lower(), [])
        if len(issues) != 1:
            wrong.append(sub.code)
            continue
        snapshot = sims.jira.issue_snapshot(str(issues[0].id))
        category = snapshot["fields"]["status"]["statusCategory"]["key"]
        if category != EXPECTED_CATEGORY.get(sub.status, category):
            wrong.append(f"{sub.code}:{sub.status}->{category}")
    return wrong


def figures(name: str, **values: Any) -> None:
    """Print the measured figures so that `pytest -s` and the CI log show them."""
    line = " ".join(f"{key}={value}" for key, value in values.items())
    print(f"\nCHAOS {name}: {line}", file=sys.stderr)
