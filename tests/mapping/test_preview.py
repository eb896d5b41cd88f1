"""`syncd mapping preview`: the exact create payload, and no write anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from syncd.cli import main
from syncd.sim.runner import Simulators, write_env_file
from syncd.sim.server import free_port

from ..conftest import MAPPING_DIR

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _env_file(sims: Simulators, redis_url: str, tmp_path: Path, **extra: str) -> Path:
    path = tmp_path / "syncd.env"
    env = sims.settings_env(redis_url, MAPPING_DIR / "cloud-custom-fields.yaml")
    write_env_file(path, {**env, **extra})
    return path


def _writes(entries: list[dict[str, object]]) -> list[str]:
    return [
        f"{entry['method']} {entry['path']}"
        for entry in entries
        if entry["method"] in WRITES
        and not str(entry["path"]).startswith(("/_sim", "/connect/token"))
    ]


def test_preview_prints_resolved_payloads_and_writes_nothing(
    simulators: Simulators, redis_url: str, tmp_path: Path
) -> None:
    code = simulators.intigriti.submissions()[0].code
    env_file = _env_file(simulators, redis_url, tmp_path)
    simulators.jira.clear_requests()
    simulators.intigriti.clear_requests()

    result = CliRunner().invoke(
        main, ["mapping", "preview", code, "--env-file", str(env_file)]
    )

    assert result.exit_code == 0, result.output
    payloads = json.loads(result.stdout)
    assert sorted(payloads) == ["cloud", "datacenter"]
    cloud, datacenter = payloads["cloud"]["fields"], payloads["datacenter"]["fields"]
    assert cloud["project"] == {"key": "APPSEC"}
    assert cloud["customfield_10102"] == datacenter["customfield_10102"] == code
    assert isinstance(cloud["description"], dict)
    assert isinstance(datacenter["description"], str)
    assert payloads["cloud"]["properties"][0]["value"]["code"] == code
    assert _writes(simulators.jira.requests()) == []
    assert _writes(simulators.intigriti.requests()) == []


def test_preview_goes_by_name_when_jira_is_unreachable(
    simulators: Simulators, redis_url: str, tmp_path: Path
) -> None:
    code = simulators.intigriti.submissions()[0].code
    closed = f"http://127.0.0.1:{free_port()}"
    env_file = _env_file(simulators, redis_url, tmp_path, SYNCD_JIRA__URL=closed)

    result = CliRunner().invoke(
        main,
        [
            "mapping",
            "preview",
            code,
            "--flavour",
            "datacenter",
            "--env-file",
            str(env_file),
        ],
    )

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["datacenter"]
    assert payload["datacenter"]["fields"]["Submission Code"] == code
