"""Fixtures shared by the whole suite: a real redis-server, the simulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from syncd.settings import Settings, load_settings
from syncd.sim import runner
from syncd.sim.intigriti import create_app as create_intigriti_app
from syncd.sim.redis_server import RedisServer
from syncd.sim.runner import Simulators, running_simulators
from tests.openapi_spec import ValidatingApp, load_spec_model

MAPPING_DIR = Path(__file__).resolve().parents[1] / "mappings"


@pytest.fixture(scope="session")
def spec_model() -> None:
    """Build the spec model (seconds) before any test's own clock runs."""
    load_spec_model()


@pytest.fixture(autouse=True)
def intigriti_answers_follow_the_spec(
    monkeypatch: pytest.MonkeyPatch, spec_model: None
) -> Iterator[list[ValidatingApp]]:
    """Check every company-API answer of every simulator a test starts."""
    started: list[ValidatingApp] = []

    def create_validated(*args: Any, **kwargs: Any) -> ValidatingApp:
        app = ValidatingApp(create_intigriti_app(*args, **kwargs))
        started.append(app)
        return app

    monkeypatch.setattr(runner, "create_intigriti_app", create_validated)
    yield started
    violations = [found for app in started for found in app.violations]
    _SPEC_CHECKS["answers"] += sum(app.checked for app in started)
    assert violations == []


_SPEC_CHECKS = {"answers": 0}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many company-API answers were checked against the spec."""
    terminalreporter.write_line(
        "Intigriti simulator answers validated against openapi-v2.1.json "
        f"(outside the simulator's own tests): {_SPEC_CHECKS['answers']}"
    )


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One private redis-server for the whole session."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The URL of a database flushed for this test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    yield redis_server.url


@pytest.fixture
def simulators() -> Iterator[Simulators]:
    """Both simulators on loopback: a small seeded corpus, Jira Cloud."""
    with running_simulators(seed=11, submissions=12) as sims:
        yield sims


@pytest.fixture
def settings(simulators: Simulators, redis_url: str) -> Settings:
    """Settings pointing syncd at the simulators and the test's Redis."""
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    return settings_from_env(env)


def settings_from_env(env: dict[str, str], **sync: Any) -> Settings:
    """Build Settings from SYNCD_* variables without touching os.environ."""
    with pytest.MonkeyPatch.context() as patch:
        # A backfill run in this process must not keep the test run's
        # threads on one CPU; `syncd backfill` subprocesses still do.
        patch.setenv("SYNCD_BACKFILL__ONE_CPU", "false")
        for name, value in env.items():
            patch.setenv(name, value)
        for name, value in sync.items():
            patch.setenv(f"SYNCD_SYNC__{name.upper()}", str(value))
        return load_settings()


def mapping_rejected_for(program_handle: str, workdir: Path) -> Path:
    """The default mapping plus a rule Jira rejects for one program.

    APPSEC requires "Affected Asset" on create and the rule does not set it,
    so every issue of that program is refused with a 400.
    """
    mapping = workdir / "mapping.yaml"
    mapping.write_text(
        (MAPPING_DIR / "default.yaml")
        .read_text()
        .replace(
            "rules: []",
            "rules:\n"
            "  - name: broken\n"
            f"    match: {{program: {program_handle}}}\n"
            "    project: APPSEC\n"
            "    issue_type: Vulnerability\n",
        )
    )
    return mapping
