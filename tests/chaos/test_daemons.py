"""Several `syncd run` daemons on one Redis, and a Redis that restarts."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from syncd.sim.intigriti import IntigritiSimConfig
from syncd.sim.redis_server import RedisServer
from syncd.sim.runner import Simulators, running_simulators

from .conftest import duplicates, env_file, figures, syncd, visible

TOKEN_TTL = 3
# Submissions that still take messages (archived ones are locked); their Jira
# twins need transitions, which three daemons must not fight over.
OPEN = {"triage", "pending", "accepted", "closed"}


def _wait_for(done: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.25)
    return done()


def _message_counts(sims: Simulators, texts: list[str]) -> Counter[str]:
    """How many Jira comments carry each message text."""
    bodies = [
        json.dumps(comment.body)
        for issue in list(sims.jira.issues.values())
        for comment in list(issue.comments)
    ]
    return Counter({text: sum(text in body for body in bodies) for text in texts})


def _stop(processes: list[subprocess.Popen[str]]) -> list[int | None]:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    return [process.wait(timeout=30) for process in processes]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_three_daemons_make_no_duplicate_and_share_each_token(
    redis_url: str, tmp_path: Path
) -> None:
    config = IntigritiSimConfig(seed=77, size=30, token_ttl_seconds=TOKEN_TTL)
    with running_simulators(seed=77, submissions=30, intigriti_config=config) as sims:
        path = env_file(sims, redis_url, tmp_path)
        started = time.monotonic()
        logs = [(tmp_path / f"daemon-{n}.log").open("w") for n in range(3)]
        daemons = [
            syncd("run", env_path=path, stdout=subprocess.DEVNULL, stderr=log)
            for log in logs
        ]
        texts: list[str] = []
        open_ones = [s.code for s in visible(sims) if s.status in OPEN]
        try:
            for n, code in enumerate(open_ones[:8]):
                time.sleep(1.0)
                sims.intigriti.create_submission()
                sims.intigriti.update_submission(code, {"title": f"Chaos title {n}"})
                text = f"chaos message {n}"
                sims.intigriti.place_message(code, text, internal=False)
                texts.append(text)
            settled = _wait_for(
                lambda: (
                    duplicates(sims) == {}
                    and set(_message_counts(sims, texts).values()) == {1}
                ),
                30,
            )
        finally:
            codes = _stop(daemons)
            for log in logs:
                log.close()
        seconds = time.monotonic() - started
        found = duplicates(sims)
        messages = _message_counts(sims, texts)
        issued = sims.intigriti.counters()["tokens_issued"].get("client_credentials", 0)
    figures(
        "daemons",
        daemons=3,
        submissions=len(visible(sims)),
        seconds=round(seconds, 1),
        token_ttl=TOKEN_TTL,
        tokens_issued=issued,
        duplicates=len(found),
        duplicate_comments=sum(1 for n in messages.values() if n > 1),
        missing_comments=sum(1 for n in messages.values() if n == 0),
        missing_issues=len(found),
    )

    quarantined = redis.Redis.from_url(redis_url).hlen("syncd:quarantine")
    missing = [
        (code, text)
        for code, text in zip(open_ones, texts, strict=False)
        if messages[text] != 1
    ]
    assert settled, f"messages not carried once: {missing}; logs in {tmp_path}"
    assert codes == [0, 0, 0]
    assert quarantined == 0
    assert found == {}
    assert set(messages.values()) == {1}
    # One grant per expiry (cached for 90% of the TTL), not one per daemon.
    assert 2 <= issued <= seconds / (0.9 * TOKEN_TTL) + 2


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_redis_restart_mid_run_loses_nothing(tmp_path: Path) -> None:
    with (
        RedisServer(tmp_path / "redis", persistent=True) as server,
        running_simulators(seed=5, submissions=20) as sims,
    ):
        path = env_file(sims, server.url, tmp_path)
        daemon = syncd(
            "run", env_path=path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            first = _wait_for(lambda: duplicates(sims) == {}, 30)
            server.stop()
            time.sleep(1.5)
            for _ in range(3):
                sims.intigriti.create_submission()
            server.start()
            second = _wait_for(lambda: duplicates(sims) == {}, 30)
            alive = daemon.poll() is None
        finally:
            code = _stop([daemon])[0]
        client = redis.Redis.from_url(server.url)
        links = sum(1 for _ in client.scan_iter("syncd:link:*"))
        client.close()
        found = duplicates(sims)
        expected = len(visible(sims))
    figures("redis_restart", submissions=expected, links=links, duplicates=len(found))

    assert (first, second, alive, code) == (True, True, True, 0)
    assert found == {}
    assert links == expected
