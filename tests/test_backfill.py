"""`syncd backfill` against both simulators and a real Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from syncd.backfill import Filters, Progress, run_backfill
from syncd.intigriti.enums import SubmissionStatus
from syncd.intigriti.models import SubmissionSummary
from syncd.ratelimit import SharedLimiter
from syncd.sim.intigriti.faults import FaultSettings
from syncd.sim.runner import Simulators, write_env_file
from tests.conftest import MAPPING_DIR

SYNCD = Path(sys.executable).with_name("syncd")


def _run(settings, **filters):
    dry_run = filters.pop("dry_run", False)
    lines: list[str] = []
    report = run_backfill(
        settings,
        Filters(**filters),
        dry_run=dry_run,
        concurrency=4,
        stop=threading.Event(),
        echo=lines.append,
    )
    return report, lines


def _visible(simulators):
    return simulators.intigriti.submissions()


def _created(simulators) -> Counter[str]:
    return Counter(
        entry["path"]
        for entry in simulators.jira.requests()
        if entry["method"] == "POST" and str(entry["path"]).endswith("/issue")
    )


def test_backfill_creates_one_issue_per_submission_then_nothing(settings, simulators):
    expected = len(_visible(simulators))

    first, _ = _run(settings)
    second, _ = _run(settings)

    assert first.as_dict()["created"] == expected
    assert first.failed() == 0
    assert second.as_dict()["created"] == 0
    assert second.as_dict()["unchanged"] == expected
    assert second.resumed == expected
    assert sum(_created(simulators).values()) == expected


def test_dry_run_writes_nothing_on_either_side(settings, simulators):
    expected = len(_visible(simulators))
    simulators.jira.clear_requests()
    simulators.intigriti.clear_requests()

    report, lines = _run(settings, dry_run=True)

    assert report.as_dict()["created"] == expected
    assert len([line for line in lines if line.startswith("would create")]) == (
        expected
    )
    assert simulators.jira_writes() == 0
    assert [
        e
        for e in simulators.intigriti.requests()
        if e["method"] in {"PUT", "POST"} and not str(e["path"]).startswith("/connect")
    ] == []


def test_program_filter_by_id_and_by_handle_selects_the_same(settings, simulators):
    program = simulators.intigriti.programs()[0]
    expected = {s.code for s in _visible(simulators) if s.program_id == program.id}

    by_handle, _ = _run(settings, programs=(program.handle,), dry_run=True)
    by_id, _ = _run(settings, programs=(program.id,), dry_run=True)

    assert by_handle.total() == len(expected)
    assert by_id.total() == len(expected)


def test_since_until_and_status_filters(settings, simulators):
    subs = sorted(_visible(simulators), key=lambda s: s.created_at)
    middle = subs[len(subs) // 2].created_at
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(middle, tz=UTC)
    status = SubmissionStatus(subs[0].status)

    since, _ = _run(settings, since=moment, dry_run=True)
    until, _ = _run(settings, until=moment, dry_run=True)
    only, _ = _run(settings, statuses=frozenset({status}), dry_run=True)

    assert since.total() == sum(1 for s in subs if s.created_at >= middle)
    assert until.total() == sum(1 for s in subs if s.created_at < middle)
    assert only.total() == sum(1 for s in subs if s.status == status)


def test_skip_closed_leaves_closed_and_archived_out(settings, simulators):
    closed = sum(1 for s in _visible(simulators) if s.status in {"closed", "archived"})

    report, _ = _run(settings, skip_closed=True)

    assert report.as_dict()["skipped"] == closed
    assert report.as_dict()["created"] == len(_visible(simulators)) - closed


def test_limiter_is_shared_by_two_clients(redis_url):
    first = redis.Redis.from_url(redis_url)
    second = redis.Redis.from_url(redis_url)
    limiters = [SharedLimiter(c, "t", "svc", per_second=20) for c in (first, second)]
    stamps: list[float] = []

    def worker(limiter: SharedLimiter) -> None:
        for _ in range(15):
            limiter.acquire()
            stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker, args=(lim,)) for lim in limiters * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    rate = (len(stamps) - 1) / (max(stamps) - min(stamps))
    assert 12 <= rate <= 21  # one limit for both, not 40/s; slack for slow hosts


def test_pause_holds_every_limiter_sharing_the_name(redis_url):
    client = redis.Redis.from_url(redis_url)
    one = SharedLimiter(client, "t", "svc", per_second=None)
    other = SharedLimiter(redis.Redis.from_url(redis_url), "t", "svc", None)

    one.pause(1.0)
    started = time.monotonic()
    other.acquire()

    assert 0.9 <= time.monotonic() - started <= 2.5


def _clear_faults_after_a_429(simulators: Simulators) -> None:
    """Lift the throttling once it has answered one 429, however slow the
    run was to get there."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(e["status"] == 429 for e in simulators.intigriti.requests()):
            break
        time.sleep(0.02)
    simulators.intigriti.clear_faults()


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_intigriti_retry_after_pauses_all_workers(settings, simulators, form):
    simulators.intigriti.set_faults(
        FaultSettings(
            throttle_rate=1.0,
            retry_after=2,
            retry_after_form=form,
            path="/submissions/",
        )
    )
    watcher = threading.Thread(target=_clear_faults_after_a_429, args=(simulators,))
    watcher.start()
    started = time.monotonic()

    report, _ = _run(settings)

    watcher.join()
    assert report.failed() == 0
    assert time.monotonic() - started >= 1.0
    throttled = [e for e in simulators.intigriti.requests() if e["status"] == 429]
    # Every worker waited for the one pause: far fewer 429s than workers x tries.
    assert 1 <= len(throttled) <= 8


@pytest.mark.slow
def test_resume_after_kill_creates_exactly_one_issue_each(
    simulators, redis_url, tmp_path
):
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    env |= {
        "SYNCD_SYNC__CLAIM_TTL_SECONDS": "2",
        # A create cut off by the kill left its marker; no index lag here.
        "SYNCD_SYNC__UNCERTAIN_CREATE_SETTLE_SECONDS": "1",
        "SYNCD_LOG_FORMAT": "json",
    }
    env_file = tmp_path / "sim.env"
    write_env_file(env_file, env)
    simulators.jira.set_faults(latency_ms=30)
    command = [str(SYNCD), "backfill", "--env-file", str(env_file), "--json"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}

    process = subprocess.Popen(
        [*command, "--concurrency", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean,
    )
    deadline = time.monotonic() + 30
    while sum(_created(simulators).values()) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    simulators.jira.set_faults(latency_ms=0)
    second = subprocess.run(command, capture_output=True, text=True, env=clean)

    report = json.loads(second.stdout.strip().splitlines()[-1])
    assert report["failed"] == 0
    events = [
        json.loads(line).get("event")
        for line in second.stderr.splitlines()
        if line.startswith("{")
    ]
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1:
        assert "cpu.pinned" in events
    labels = Counter(
        label
        for issue in list(simulators.jira.issues.values())
        for label in issue.fields.get("labels") or []
        if label.startswith("intigriti-")
    )
    assert len(labels) == len(_visible(simulators))
    assert set(labels.values()) == {1}


@pytest.mark.slow
def test_sigterm_finishes_the_work_in_hand_records_progress_and_exits_0(
    simulators, redis_url, tmp_path
):
    env = simulators.settings_env(redis_url, MAPPING_DIR / "default.yaml")
    env |= {"SYNCD_LOG_FORMAT": "json"}
    env_file = tmp_path / "sim.env"
    write_env_file(env_file, env)
    simulators.jira.set_faults(latency_ms=30)
    command = [str(SYNCD), "backfill", "--env-file", str(env_file), "--json"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}

    process = subprocess.Popen(
        [*command, "--concurrency", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=clean,
        text=True,
    )
    deadline = time.monotonic() + 30
    while sum(_created(simulators).values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    simulators.jira.set_faults(latency_ms=0)
    resumed = subprocess.run(command, capture_output=True, text=True, env=clean)

    first = json.loads(out.strip().splitlines()[-1])
    second = json.loads(resumed.stdout.strip().splitlines()[-1])
    expected = len(_visible(simulators))
    assert process.returncode == 0
    assert first["failed"] == 0
    assert 3 <= first["created"] < expected
    assert second["resumed"] == first["created"] + first["unchanged"]
    assert second["created"] == expected - first["created"]
    assert sum(_created(simulators).values()) == expected


def test_progress_is_written_in_batches_and_read_with_what_is_pending(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    filters = Filters()
    progress = Progress(client, "bf", filters, ttl_days=1)
    key = f"bf:backfill:{filters.key()}"
    when = datetime(2024, 5, 1, tzinfo=UTC)

    def summary(n: int) -> SubmissionSummary:
        return SubmissionSummary(code=f"ACME-{n}", last_updated_at=when)

    for n in range(Progress.RECORD_BATCH - 1):
        progress.record(summary(n))
    assert client.hlen(key) == 0  # not a full batch yet
    assert progress.finished(["ACME-0", "ACME-999"]) == {"ACME-0"}

    progress.record(summary(Progress.RECORD_BATCH - 1))
    assert client.hlen(key) == Progress.RECORD_BATCH
    assert 0 < client.ttl(key) <= 86400

    progress.record(summary(1000))
    progress.flush()
    assert client.hget(key, "ACME-1000") == str(int(when.timestamp()))
    fresh = Progress(client, "bf", filters, ttl_days=1)  # a later run
    assert fresh.finished(["ACME-1000", "ACME-0", "ACME-1001"]) == {
        "ACME-1000",
        "ACME-0",
    }
    assert fresh.finished([]) == set()


def test_progress_that_cannot_be_written_is_kept_and_written_later(redis_url):
    when = datetime(2024, 5, 1, tzinfo=UTC)
    away = redis.Redis(port=1, socket_connect_timeout=0.2)  # nothing listens
    progress = Progress(away, "bf", Filters(), ttl_days=1)

    for n in range(Progress.RECORD_BATCH + 1):
        progress.record(SubmissionSummary(code=f"ACME-{n}", last_updated_at=when))
    progress.flush()  # fails again, quietly

    # Still known to this run, and written once Redis is back.
    assert progress.finished(["ACME-0", "ACME-64", "ACME-99"]) == {
        "ACME-0",
        "ACME-64",
    }
    progress._redis = redis.Redis.from_url(redis_url)
    progress.flush()
    later = Progress(redis.Redis.from_url(redis_url), "bf", Filters(), ttl_days=1)
    assert len(later.finished([f"ACME-{n}" for n in range(100)])) == 65
