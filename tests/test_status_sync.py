"""Status and comments both ways, on both simulators and a real Redis.

Every scenario asserts the final state of both sides and the exact writes
each side received, then that a quiet cycle writes nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from syncd.runtime import Runtime, open_runtime
from syncd.settings import Settings
from syncd.sim.intigriti import FaultSettings
from syncd.sim.runner import Simulators

from .conftest import MAPPING_DIR, settings_from_env

WRITES = {"POST", "PUT", "DELETE"}
TICK = 1.05  # Intigriti's lastUpdatedAt has whole seconds


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with open_runtime(settings) as opened:
        opened.engine.run_cycle()
        yield opened


def jira_writes(sims: Simulators) -> list[str]:
    return [
        f"{entry['method']} {entry['path']}"
        for entry in sims.jira.requests()
        if entry["method"] in WRITES and not entry["path"].startswith("/_sim")
    ]


def intigriti_writes(sims: Simulators) -> list[str]:
    return [
        f"{entry['method']} {entry['path'].rsplit('/', 1)[-1]}"
        for entry in sims.intigriti.requests()
        if entry["method"] in WRITES and "/submissions/" in entry["path"]
    ]


def clear(sims: Simulators) -> None:
    time.sleep(TICK)
    sims.jira.clear_requests()
    sims.intigriti.clear_requests()


def code_in(sims: Simulators, status: str) -> str:
    return next(s.code for s in sims.intigriti.submissions() if s.status == status)


def jira_status(sims: Simulators, issue_id: str) -> tuple[str, str | None]:
    fields = sims.jira.issue_snapshot(issue_id)["fields"]
    resolution = fields["resolution"]
    return fields["status"]["name"], resolution and resolution["name"]


def human_transition(
    sims: Simulators, issue_id: str, to_status: str, **fields: Any
) -> None:
    """Alice moves the issue in Jira's UI."""
    with sims.jira.lock:
        ctx = sims.jira.ctx_for("alice", "3")
        found = sims.jira.transitions(ctx, issue_id, True)["transitions"]
        chosen = next(t for t in found if t["to"]["name"] == to_status)
        body: dict[str, Any] = {"transition": {"id": chosen["id"]}}
        if fields:
            body["fields"] = fields
        sims.jira.transition_issue(ctx, issue_id, body)


def issue_of(runtime: Runtime, code: str) -> str:
    link = runtime.state.link(code)
    assert link is not None
    return link.id


def assert_quiet(sims: Simulators, runtime: Runtime) -> None:
    clear(sims)
    runtime.engine.run_cycle()
    assert (jira_writes(sims), intigriti_writes(sims)) == ([], [])


def test_first_sync_puts_each_issue_in_its_submissions_status(
    simulators: Simulators, runtime: Runtime
) -> None:
    for sub in simulators.intigriti.submissions():
        status, _ = jira_status(simulators, issue_of(runtime, sub.code))
        expected = {
            "triage": "To Do",
            "pending": "To Do",
            "accepted": "In Progress",
            "closed": "Done",
            "archived": "Done",
        }[sub.status]
        assert status == expected
    assert_quiet(simulators, runtime)


def test_accept_on_intigriti_moves_the_issue_to_in_progress(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    clear(simulators)
    simulators.intigriti.apply_trigger(code, "accept")

    runtime.engine.run_cycle()

    assert jira_status(simulators, issue) == ("In Progress", None)
    assert jira_writes(simulators) == [f"POST /rest/api/3/issue/{issue}/transitions"]
    assert intigriti_writes(simulators) == []
    # One read of the issue serves the link and the status (before the move;
    # the Jira poll then reads it once more, as it changed).
    reads = [
        e
        for e in simulators.jira.requests()
        if e["method"] == "GET" and e["path"] == f"/rest/api/3/issue/{issue}"
    ]
    assert len(reads) == 2
    assert_quiet(simulators, runtime)


def test_close_as_resolved_on_intigriti_sets_done_with_resolution(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "accepted")
    issue = issue_of(runtime, code)
    clear(simulators)
    simulators.intigriti.apply_trigger(code, "close", "resolved")

    runtime.engine.run_cycle()

    assert jira_status(simulators, issue) == ("Done", "Done")
    assert jira_writes(simulators) == [f"POST /rest/api/3/issue/{issue}/transitions"]
    assert_quiet(simulators, runtime)


def test_close_as_duplicate_on_intigriti_sets_resolution_duplicate(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    parent = code_in(simulators, "accepted")
    issue = issue_of(runtime, code)
    clear(simulators)
    simulators.intigriti.apply_trigger(code, "close", "duplicate", parent)

    runtime.engine.run_cycle()

    assert jira_status(simulators, issue) == ("Done", "Duplicate")
    assert jira_writes(simulators) == [f"POST /rest/api/3/issue/{issue}/transitions"]
    assert_quiet(simulators, runtime)


def test_reopen_on_intigriti_reopens_the_issue(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "closed")
    issue = issue_of(runtime, code)
    clear(simulators)
    simulators.intigriti.apply_trigger(code, "reopen")

    runtime.engine.run_cycle()

    assert jira_status(simulators, issue)[0] == "To Do"
    assert jira_writes(simulators) == [f"POST /rest/api/3/issue/{issue}/transitions"]
    assert simulators.intigriti.submission(code).status == "pending"
    assert_quiet(simulators, runtime)


def test_jira_done_closes_the_submission_and_back_reopens_it(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    clear(simulators)
    human_transition(simulators, issue, "Done", resolution={"name": "Done"})

    runtime.engine.run_cycle()

    sub = simulators.intigriti.submission(code)
    assert (sub.status, sub.close_reason) == ("closed", "resolved")
    assert intigriti_writes(simulators) == ["PUT state"]
    assert jira_writes(simulators) == []
    assert_quiet(simulators, runtime)

    human_transition(simulators, issue, "To Do")
    runtime.engine.run_cycle()

    assert simulators.intigriti.submission(code).status == "pending"
    assert intigriti_writes(simulators) == ["PUT state"]
    assert jira_writes(simulators) == []
    assert_quiet(simulators, runtime)


def test_jira_duplicate_label_closes_as_duplicate_of_the_linked_submission(
    simulators: Simulators, runtime: Runtime
) -> None:
    code, parent = code_in(simulators, "pending"), code_in(simulators, "accepted")
    issue = issue_of(runtime, code)
    parent_link = runtime.state.link(parent)
    assert parent_link is not None
    with simulators.jira.lock:
        ctx = simulators.jira.ctx_for("alice", "3")
        label = f"duplicate-of-{parent_link.key}"
        simulators.jira.edit_issue(ctx, issue, {"update": {"labels": [{"add": label}]}})
    human_transition(simulators, issue, "Done", resolution={"name": "Duplicate"})
    clear(simulators)

    runtime.engine.run_cycle()

    sub = simulators.intigriti.submission(code)
    assert (sub.status, sub.close_reason, sub.duplicate_parent) == (
        "closed",
        "duplicate",
        parent,
    )
    assert intigriti_writes(simulators) == ["PUT state"]
    assert_quiet(simulators, runtime)


def test_both_sides_changed_the_newer_jira_change_wins_and_intigriti_is_told(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    simulators.intigriti.apply_trigger(code, "accept")
    time.sleep(TICK)
    human_transition(simulators, issue, "Done", resolution={"name": "Won't Do"})
    clear(simulators)

    runtime.engine.run_cycle()

    sub = simulators.intigriti.submission(code)
    assert (sub.status, sub.close_reason) == ("closed", "informative")
    assert jira_status(simulators, issue) == ("Done", "Won't Do")
    assert intigriti_writes(simulators) == ["POST internal", "PUT state"]
    assert jira_writes(simulators) == []
    assert_quiet(simulators, runtime)


def test_a_rejected_put_is_said_on_jira_once_and_not_retried(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "archived")
    issue = issue_of(runtime, code)
    clear(simulators)
    human_transition(simulators, issue, "To Do")

    runtime.engine.run_cycle()

    assert simulators.intigriti.submission(code).status == "archived"
    assert jira_status(simulators, issue)[0] == "Done"
    assert intigriti_writes(simulators) == ["PUT state"]
    assert jira_writes(simulators) == [
        f"POST /rest/api/3/issue/{issue}/comment",
        f"POST /rest/api/3/issue/{issue}/transitions",
    ]
    assert_quiet(simulators, runtime)


def test_intigriti_messages_become_tagged_jira_comments_once(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    simulators.intigriti.place_message(code, "<p>Hello <b>Jira</b></p>", False)
    simulators.intigriti.place_message(code, "<p>Internal note</p>", True)
    clear(simulators)

    runtime.engine.run_cycle()

    comments = simulators.jira.issue_snapshot(issue)["fields"]["comment"]["comments"]
    assert [c.get("visibility") for c in comments] == [
        None,
        {"type": "role", "value": "Administrators"},
    ]
    assert "intigriti-message:" in str(comments[0]["body"])
    assert jira_writes(simulators) == [f"POST /rest/api/3/issue/{issue}/comment"] * 2
    assert_quiet(simulators, runtime)


def test_a_message_too_long_for_a_comment_is_cut_and_later_ones_follow(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    simulators.intigriti.place_message(code, "<p>" + "long " * 20_000 + "</p>", False)
    simulators.intigriti.place_message(code, "<p>short one</p>", False)
    clear(simulators)

    runtime.engine.run_cycle()

    comments = simulators.jira.issue_snapshot(issue)["fields"]["comment"]["comments"]
    bodies = [str(c["body"]) for c in comments]
    assert len(bodies) == 2
    assert "Truncated to fit" in bodies[0]
    assert "short one" in bodies[1]
    assert runtime.state.quarantined() == []
    assert_quiet(simulators, runtime)


def test_a_prefixed_jira_comment_becomes_one_internal_intigriti_comment(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    with simulators.jira.lock:
        ctx = simulators.jira.ctx_for("alice", "2")
        simulators.jira.add_comment(ctx, issue, {"body": "#intigriti Fixed in 4.2"})
    clear(simulators)

    runtime.engine.run_cycle()

    messages = [
        e.message
        for e in simulators.intigriti.submission(code).events
        if e.kind == "message_placed" and e.message and "Fixed in 4.2" in e.message
    ]
    assert len(messages) == 1
    assert intigriti_writes(simulators) == ["POST internal"]
    assert jira_writes(simulators) == []
    assert_quiet(simulators, runtime)


def test_a_message_placed_before_the_first_sync_is_carried(
    simulators: Simulators, settings: Settings
) -> None:
    code = code_in(simulators, "pending")
    simulators.intigriti.place_message(code, "<p>Early answer</p>", False)

    with open_runtime(settings) as runtime:
        runtime.engine.run_cycle()
        issue = issue_of(runtime, code)

        bodies = [
            str(c["body"])
            for c in simulators.jira.issue_snapshot(issue)["fields"]["comment"][
                "comments"
            ]
        ]
        assert sum("Early answer" in body for body in bodies) == 1
        assert_quiet(simulators, runtime)


def test_without_history_only_messages_placed_after_linking_are_carried(
    simulators: Simulators, redis_url: str, tmp_path: Path
) -> None:
    text = (MAPPING_DIR / "default.yaml").read_text(encoding="utf-8")
    path = tmp_path / "no-history.yaml"
    path.write_text(
        text.replace("  comments:\n", "  comments:\n    history: false\n"),
        encoding="utf-8",
    )
    code = code_in(simulators, "pending")
    simulators.intigriti.place_message(code, "<p>Before</p>", False)
    time.sleep(TICK)

    with open_runtime(settings_from_env(simulators.settings_env(redis_url, path))) as (
        runtime
    ):
        runtime.engine.run_cycle()
        simulators.intigriti.place_message(code, "<p>After</p>", False)
        clear(simulators)
        runtime.engine.run_cycle()
        issue = issue_of(runtime, code)

    bodies = str(simulators.jira.issue_snapshot(issue)["fields"]["comment"])
    assert ("Before" in bodies, "After" in bodies) == (False, True)


def test_after_redis_lost_everything_nothing_is_carried_twice(
    simulators: Simulators, runtime: Runtime, redis_url: str
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    simulators.intigriti.place_message(code, "<p>Researcher reply</p>", False)
    with simulators.jira.lock:
        ctx = simulators.jira.ctx_for("alice", "2")
        simulators.jira.add_comment(ctx, issue, {"body": "#intigriti Patched"})
    time.sleep(TICK)
    runtime.engine.run_cycle()
    runtime.engine.run_cycle()  # the Jira comment's echo comes back as an event
    redis.Redis.from_url(redis_url).flushdb()
    clear(simulators)

    runtime.engine.run_cycle()
    runtime.engine.run_cycle()

    assert issue_of(runtime, code) == issue  # adopted, not made again
    comment_posts = [w for w in jira_writes(simulators) if w.endswith("/comment")]
    assert comment_posts == []
    assert [w for w in intigriti_writes(simulators) if w.startswith("POST")] == []
    # And what comes next is still carried, once.
    simulators.intigriti.place_message(code, "<p>Later reply</p>", False)
    clear(simulators)
    runtime.engine.run_cycle()
    assert jira_writes(simulators) == [f"POST /rest/api/3/issue/{issue}/comment"]


def test_an_adoption_interrupted_before_its_records_are_rebuilt_is_redone(
    simulators: Simulators, runtime: Runtime, redis_url: str
) -> None:
    code = code_in(simulators, "pending")
    issue = issue_of(runtime, code)
    simulators.intigriti.place_message(code, "<p>Researcher reply</p>", False)
    time.sleep(TICK)
    runtime.engine.run_cycle()
    redis.Redis.from_url(redis_url).flushdb()
    clear(simulators)
    # Reading the history fails while the issue is being adopted.
    simulators.intigriti.set_faults(
        FaultSettings(error_rate=1.0, path=f"/submissions/{code}/events")
    )
    runtime.engine.run_cycle()
    assert runtime.state.link(code) is None
    simulators.intigriti.clear_faults()

    runtime.engine.run_cycle()

    assert issue_of(runtime, code) == issue
    assert [w for w in jira_writes(simulators) if w.endswith("/comment")] == []


def test_syncds_own_internal_messages_are_not_carried_back(
    simulators: Simulators, runtime: Runtime
) -> None:
    code = code_in(simulators, "pending")
    simulators.intigriti.place_message(
        code, "Fixed in 4.2\n\n(Alice on Jira SEC-99)", True
    )
    simulators.intigriti.place_message(
        code, "syncd: the status changed on both sides.", True
    )
    clear(simulators)

    runtime.engine.run_cycle()

    assert [w for w in jira_writes(simulators) if w.endswith("/comment")] == []


@pytest.fixture
def appsec_settings(simulators: Simulators, redis_url: str, tmp_path: Path) -> Settings:
    text = (MAPPING_DIR / "default.yaml").read_text(encoding="utf-8")
    routed = (
        "issue_type: Vulnerability\n"
        '  fields:\n    Affected Asset: "{{ asset or code }}"'
    )
    text = text.replace("project: SEC", "project: APPSEC")
    text = text.replace("issue_type: Bug", routed)
    path = tmp_path / "appsec.yaml"
    path.write_text(text, encoding="utf-8")
    return settings_from_env(simulators.settings_env(redis_url, path))


def test_custom_workflow_reaches_a_status_two_transitions_away(
    simulators: Simulators, appsec_settings: Settings
) -> None:
    with open_runtime(appsec_settings) as runtime:
        runtime.engine.run_cycle()
        code = code_in(simulators, "pending")
        issue = issue_of(runtime, code)
        assert jira_status(simulators, issue)[0] == "Open"
        clear(simulators)
        simulators.intigriti.apply_trigger(code, "accept")

        runtime.engine.run_cycle()

        assert jira_status(simulators, issue)[0] == "Fixing"
        assert (
            jira_writes(simulators)
            == [f"POST /rest/api/3/issue/{issue}/transitions"] * 2
        )
        clear(simulators)
        simulators.intigriti.apply_trigger(code, "close", "informative")
        runtime.engine.run_cycle()

        assert jira_status(simulators, issue) == ("Done", "Won't Do")
        assert jira_writes(simulators) == [
            f"POST /rest/api/3/issue/{issue}/transitions"
        ]
        assert_quiet(simulators, runtime)


JIRA_MOVES = {
    "To Do": ["In Progress", "Done"],
    "In Progress": ["To Do", "Done"],
    "Done": ["To Do"],
}
TRIGGERS = {
    "triage": ["accept", "close", "reopen"],
    "pending": ["accept", "close"],
    "accepted": ["close"],
    "closed": ["reopen"],
}


@pytest.mark.slow
def test_random_changes_on_both_sides_end_in_agreement_without_a_loop(
    simulators: Simulators, runtime: Runtime
) -> None:
    rng = random.Random(5)
    codes = [
        s.code for s in simulators.intigriti.submissions() if s.status != "archived"
    ]
    for _ in range(30):
        for code in rng.sample(codes, 3):
            sub = simulators.intigriti.submission(code)
            if rng.random() < 0.5 and sub.status in TRIGGERS:
                trigger = rng.choice(TRIGGERS[sub.status])
                reason = "resolved" if trigger == "close" else None
                simulators.intigriti.apply_trigger(code, trigger, reason)
            else:
                issue = issue_of(runtime, code)
                target = rng.choice(JIRA_MOVES[jira_status(simulators, issue)[0]])
                extra = {"resolution": {"name": "Done"}} if target == "Done" else {}
                human_transition(simulators, issue, target, **extra)
        time.sleep(TICK)
        runtime.engine.run_cycle()

    runtime.engine.run_cycle()
    expected = {"triage": "To Do", "pending": "To Do", "accepted": "In Progress"}
    for code in codes:
        sub = simulators.intigriti.submission(code)
        status, _ = jira_status(simulators, issue_of(runtime, code))
        assert status == expected.get(sub.status, "Done"), code
    assert_quiet(simulators, runtime)
