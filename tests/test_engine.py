"""The main job against both simulators and a real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from syncd.engine import Outcome
from syncd.errors import ConfigError
from syncd.runtime import Runtime, open_runtime
from syncd.settings import Settings
from syncd.sim.intigriti import EnumTables, IntigritiSimConfig
from syncd.sim.intigriti.shapes import details_link
from syncd.sim.jira.config import Flavour
from syncd.sim.runner import Simulators, running_simulators
from syncd.state import State

from .conftest import MAPPING_DIR, mapping_rejected_for, settings_from_env

WRITES = {"POST", "PUT", "DELETE"}


@pytest.fixture
def settings(simulators: Simulators, redis_url: str, tmp_path: Path) -> Settings:
    """The default mapping without its ``status:`` section: these tests count
    the writes of field sync alone (status sync: tests/test_status_sync.py)."""
    text = (MAPPING_DIR / "default.yaml").read_text(encoding="utf-8")
    path = tmp_path / "fields-only.yaml"
    path.write_text(text.split("\nstatus:", 1)[0] + "\n", encoding="utf-8")
    return settings_from_env(simulators.settings_env(redis_url, path))


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    with open_runtime(settings) as opened:
        yield opened


def jira_writes(sims: Simulators) -> list[str]:
    return [
        f"{entry['method']} {entry['path']}"
        for entry in sims.jira.requests()
        if entry["method"] in WRITES and not entry["path"].startswith("/_sim")
    ]


def jira_get(sims: Simulators, path: str) -> Any:
    bot = sims.jira.config.user("syncd-bot")
    response = httpx.get(
        f"{sims.jira_url}/rest/api/3/{path}", auth=(bot.email, bot.api_token)
    )
    response.raise_for_status()
    return response.json()


def visible_codes(sims: Simulators) -> list[str]:
    return sorted(sub.code for sub in sims.intigriti.submissions())


def test_first_sync_creates_one_self_describing_issue_per_submission(
    simulators: Simulators, runtime: Runtime
) -> None:
    report = runtime.engine.run_cycle()

    codes = visible_codes(simulators)
    assert report.count(Outcome.CREATED) == len(codes)
    for code in codes:
        link = runtime.state.link(code)
        assert link is not None
        issue = simulators.jira.issue_snapshot(link.id)
        assert f"intigriti-{code.lower()}" in issue["fields"]["labels"]
        url = details_link(
            simulators.intigriti_config, simulators.intigriti.submission(code)
        )
        assert jira_get(simulators, f"issue/{link.id}/properties/syncd.submission")[
            "value"
        ] == {"code": code, "url": url}
        remote = jira_get(simulators, f"issue/{link.id}/remotelink")
        assert [item["globalId"] for item in remote] == [url]
        reference = simulators.intigriti.submission(code).internal_reference
        assert reference is not None
        assert (reference.reference, reference.url) == (
            link.key,
            f"{simulators.jira_url}/browse/{link.key}",
        )


def test_each_new_submission_costs_one_create_and_one_link_in_jira(
    simulators: Simulators, runtime: Runtime
) -> None:
    runtime.engine.run_cycle()

    writes = jira_writes(simulators)
    count = len(visible_codes(simulators))
    files = sum(
        len(sub.report.attachments) for sub in simulators.intigriti.submissions()
    )
    uploads = [write for write in writes if write.endswith("/attachments")]
    assert writes.count("POST /rest/api/3/issue") == count
    assert len(uploads) == files
    assert len(writes) - len(uploads) == 2 * count


def test_second_run_creates_no_issue_and_writes_nothing_to_jira(
    simulators: Simulators, runtime: Runtime
) -> None:
    runtime.engine.run_cycle()
    simulators.jira.clear_requests()

    again = runtime.engine.run_cycle(full=True)
    third = runtime.engine.run_cycle(full=True)

    count = len(visible_codes(simulators))
    assert (again.count(Outcome.CREATED), again.count(Outcome.UNCHANGED)) == (
        0,
        count,
    )
    assert third.count(Outcome.UNCHANGED) == count
    assert jira_writes(simulators) == []


def test_a_changed_title_updates_only_the_summary(
    simulators: Simulators, runtime: Runtime
) -> None:
    runtime.engine.run_cycle()
    code = visible_codes(simulators)[0]
    link = runtime.state.link(code)
    assert link is not None
    time.sleep(1.05)  # lastUpdatedAt has whole seconds
    simulators.intigriti.update_submission(code, {"title": "Renamed by triage"})
    simulators.jira.clear_requests()

    report = runtime.engine.run_cycle()

    assert report.count(Outcome.UPDATED) == 1
    assert jira_writes(simulators) == [f"PUT /rest/api/3/issue/{link.id}"]
    summary = simulators.jira.issue_snapshot(link.id)["fields"]["summary"]
    assert summary == f"[{code}] Renamed by triage"


def test_cursor_moves_to_the_newest_submission_written(
    simulators: Simulators, runtime: Runtime
) -> None:
    newest = max(sub.last_updated_at for sub in simulators.intigriti.submissions())

    report = runtime.engine.run_cycle()

    assert report.cursor == newest
    assert runtime.state.cursor("intigriti:submissions") == newest


def test_a_jira_outage_defers_the_batch_and_holds_the_cursor(
    simulators: Simulators, runtime: Runtime
) -> None:
    simulators.jira.set_faults(error_rate=1.0)

    failed = runtime.engine.run_cycle()
    simulators.jira.clear_faults()
    recovered = runtime.engine.run_cycle()

    count = len(visible_codes(simulators))
    assert failed.count(Outcome.DEFERRED) == count
    assert failed.cursor is None
    assert recovered.count(Outcome.CREATED) == count


def test_a_rejected_issue_is_quarantined_and_the_others_go_on(
    simulators: Simulators, redis_url: str, tmp_path: Path
) -> None:
    first = simulators.intigriti.programs()[0]
    mapping = mapping_rejected_for(first.handle, tmp_path)
    settings = settings_from_env(simulators.settings_env(redis_url, mapping))

    with open_runtime(settings) as runtime:
        report = runtime.engine.run_cycle()
        quarantined = runtime.state.quarantined()
        again = runtime.engine.run_cycle(full=True)

    broken = sorted(
        sub.code
        for sub in simulators.intigriti.submissions()
        if sub.program_id == first.id
    )
    count = len(visible_codes(simulators))
    assert report.count(Outcome.QUARANTINED) == len(broken) > 0
    assert report.count(Outcome.CREATED) == count - len(broken)
    assert [record.code for record in quarantined] == broken
    assert {record.error for record in quarantined} == {"RejectedError"}
    assert again.count(Outcome.QUARANTINED) == len(broken)
    assert report.cursor is not None


def test_two_engines_at_once_create_each_issue_once(
    simulators: Simulators, settings: Settings
) -> None:
    with open_runtime(settings) as first, open_runtime(settings) as second:
        threads = [
            threading.Thread(target=runtime.engine.run_cycle, kwargs={"full": True})
            for runtime in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        first.engine.run_cycle(full=True)

    creates = jira_writes(simulators).count("POST /rest/api/3/issue")
    assert creates == len(visible_codes(simulators))


def test_an_expired_token_is_refreshed_exactly_once(
    redis_url: str,
) -> None:
    config = IntigritiSimConfig(seed=3, size=6, token_ttl_seconds=5)
    with running_simulators(seed=3, submissions=6, intigriti_config=config) as sims:
        settings = settings_from_env(
            sims.settings_env(redis_url, MAPPING_DIR / "default.yaml")
        )
        with open_runtime(settings) as runtime:
            runtime.engine.run_cycle()
            time.sleep(5.2)
            code = visible_codes(sims)[0]
            sims.intigriti.update_submission(code, {"title": "After expiry"})
            report = runtime.engine.run_cycle()

        issued = sims.intigriti.counters()["tokens_issued"]
    assert report.count(Outcome.UPDATED) == 1
    assert issued == {"client_credentials": 2}


def test_a_revoked_token_is_replaced_and_the_cycle_completes(
    simulators: Simulators, runtime: Runtime
) -> None:
    runtime.engine.run_cycle()
    simulators.intigriti.revoke_tokens()

    report = runtime.engine.run_cycle(full=True)

    assert report.failures() == 0
    assert simulators.intigriti.counters()["tokens_issued"] == {"client_credentials": 2}


def test_unknown_enum_ids_are_kept_and_the_submission_still_syncs(
    redis_url: str,
) -> None:
    # The tenant numbers severities differently from syncd's defaults.
    tables = EnumTables()
    tables.severity["critical"] = tables.severity["critical"].model_copy(
        update={"id": 50}
    )
    config = IntigritiSimConfig(seed=5, size=10, enums=tables)
    with running_simulators(seed=5, submissions=10, intigriti_config=config) as sims:
        settings = settings_from_env(
            sims.settings_env(redis_url, MAPPING_DIR / "default.yaml")
        )
        with capture_logs() as logs, open_runtime(settings) as runtime:
            report = runtime.engine.run_cycle()

    assert report.count(Outcome.CREATED) == len(visible_codes(sims))
    unknown = [entry for entry in logs if entry["event"] == "intigriti.unknown_enum"]
    assert len({(entry.get("kind"), entry.get("id")) for entry in unknown}) == len(
        unknown
    )


def test_an_invalid_mapping_file_stops_start_up_naming_file_and_line(
    settings: Settings, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ndefaults:\n  project: SEC\n  priorty: {}\n")
    settings = settings.model_copy(
        update={"sync": settings.sync.model_copy(update={"mapping_file": broken})}
    )

    with pytest.raises(ConfigError) as raised, open_runtime(settings):
        pass

    assert f"{broken}:4" in str(raised.value)
    assert "priorty" in str(raised.value)


def test_cycle_logs_name_no_report_content(
    simulators: Simulators, runtime: Runtime
) -> None:
    titles = {sub.title for sub in simulators.intigriti.submissions()}

    with capture_logs() as logs:
        runtime.engine.run_cycle()

    text = repr(logs)
    assert [title for title in titles if title in text] == []
    assert any(entry["event"] == "sync.cycle_finished" for entry in logs)


@pytest.mark.parametrize("flavour", [Flavour.DATA_CENTER])
def test_data_center_gets_wiki_descriptions(redis_url: str, flavour: Flavour) -> None:
    with running_simulators(seed=2, submissions=4, jira_flavour=flavour) as sims:
        settings = settings_from_env(
            sims.settings_env(redis_url, MAPPING_DIR / "default.yaml")
        )
        with open_runtime(settings) as runtime:
            report = runtime.engine.run_cycle()
            links = [runtime.state.link(code) for code in visible_codes(sims)]

        descriptions = [
            sims.jira.issue_snapshot(link.id)["fields"]["description"]
            for link in links
            if link is not None
        ]
    assert report.count(Outcome.CREATED) == len(links)
    assert all(
        isinstance(text, str) and "h2. Submission" in text for text in descriptions
    )


def test_state_is_kept_under_the_configured_prefix(
    simulators: Simulators, runtime: Runtime
) -> None:
    runtime.engine.run_cycle()

    keys = set(runtime.redis.scan_iter("*"))
    assert keys
    assert all(key.startswith("syncd:") for key in keys)
    assert State(runtime.redis, "syncd").link_count() == len(visible_codes(simulators))


structlog.reset_defaults()


def test_a_redis_that_lost_its_data_adopts_the_issues_it_had_made(
    simulators: Simulators, settings: Settings
) -> None:
    with open_runtime(settings) as runtime:
        runtime.engine.run_cycle()
        runtime.redis.flushdb()
        after_loss = runtime.engine.run_cycle(full=True)
        links = {code: runtime.state.link(code) for code in visible_codes(simulators)}

    creates = jira_writes(simulators).count("POST /rest/api/3/issue")
    assert creates == len(visible_codes(simulators))
    assert after_loss.count(Outcome.CREATED) == 0
    assert all(link is not None for link in links.values())


def test_a_create_whose_answer_was_lost_is_never_made_twice(
    simulators: Simulators, settings: Settings
) -> None:
    # Every create takes effect but its answer is lost, and JQL lags behind.
    settings = settings.model_copy(
        update={
            "sync": settings.sync.model_copy(
                update={"uncertain_create_settle_seconds": 3.5}
            )
        }
    )

    with open_runtime(settings) as runtime:
        simulators.jira.set_faults(drop_after_rate=1.0, index_lag_ms=3000)
        lost = runtime.engine.run_cycle()
        simulators.jira.set_faults(drop_after_rate=0.0)
        in_doubt = runtime.engine.run_cycle(full=True)
        time.sleep(3.6)
        settled = runtime.engine.run_cycle(full=True)
        links = [runtime.state.link(code) for code in visible_codes(simulators)]

    count = len(visible_codes(simulators))
    creates = [w for w in jira_writes(simulators) if w == "POST /rest/api/3/issue"]
    assert lost.count(Outcome.DEFERRED) == count
    assert in_doubt.count(Outcome.DEFERRED) == count
    assert in_doubt.count(Outcome.CREATED) == 0
    assert settled.count(Outcome.CREATED) == 0
    assert len(creates) == count
    assert all(link is not None for link in links)


def _change_title(sims: Simulators, code: str, title: str) -> None:
    time.sleep(1.05)  # lastUpdatedAt has whole seconds
    sims.intigriti.update_submission(code, {"title": title})


def _delete_in_jira(sims: Simulators, issue_id: str) -> None:
    bot = sims.jira.config.user("syncd-bot")
    response = httpx.delete(
        f"{sims.jira_url}/rest/api/3/issue/{issue_id}", auth=(bot.email, bot.api_token)
    )
    response.raise_for_status()


def test_a_moved_issue_is_followed_and_its_new_key_recorded_on_both_sides(
    simulators: Simulators, runtime: Runtime
) -> None:
    runtime.engine.run_cycle()
    code = visible_codes(simulators)[0]
    before = runtime.state.link(code)
    assert before is not None
    new_key = simulators.jira.move_issue(before.id, "MOBILE")
    _change_title(simulators, code, "Moved by a person")

    report = runtime.engine.run_cycle()

    after = runtime.state.link(code)
    reference = simulators.intigriti.submission(code).internal_reference
    assert report.count(Outcome.UPDATED) == 1
    assert report.count(Outcome.CREATED) == 0
    assert after is not None
    assert (after.id, after.key) == (before.id, new_key)
    assert reference is not None
    assert (reference.reference, reference.url) == (
        new_key,
        f"{simulators.jira_url}/browse/{new_key}",
    )
    summary = simulators.jira.issue_snapshot(before.id)["fields"]["summary"]
    assert summary == f"[{code}] Moved by a person"


def test_a_deleted_issue_is_reported_in_quarantine_by_default(
    simulators: Simulators, runtime: Runtime
) -> None:
    runtime.engine.run_cycle()
    code = visible_codes(simulators)[0]
    link = runtime.state.link(code)
    assert link is not None
    _delete_in_jira(simulators, link.id)
    _change_title(simulators, code, "Changed after the delete")
    simulators.jira.clear_requests()

    with capture_logs() as logs:
        report = runtime.engine.run_cycle()

    record = runtime.state.quarantine_record(code)
    assert report.count(Outcome.QUARANTINED) == 1
    assert record is not None
    assert record.error == "IssueDeleted"
    assert f"{link.key} (id {link.id}) was deleted" in record.reason
    assert "POST /rest/api/3/issue" not in jira_writes(simulators)
    assert [e["on_deleted"] for e in logs if e["event"] == "sync.issue_deleted"] == [
        "report"
    ]


def test_a_deleted_issue_is_created_afresh_when_the_setting_says_recreate(
    simulators: Simulators, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"sync": settings.sync.model_copy(update={"on_deleted": "recreate"})}
    )
    with open_runtime(settings) as runtime:
        runtime.engine.run_cycle()
        code = visible_codes(simulators)[0]
        old = runtime.state.link(code)
        assert old is not None
        _delete_in_jira(simulators, old.id)
        _change_title(simulators, code, "Changed after the delete")
        simulators.jira.clear_requests()

        report = runtime.engine.run_cycle()
        new = runtime.state.link(code)

    assert report.count(Outcome.CREATED) == 1
    assert new is not None
    assert new.id != old.id
    assert jira_writes(simulators).count("POST /rest/api/3/issue") == 1
    issue = simulators.jira.issue_snapshot(new.id)
    assert issue["fields"]["summary"] == f"[{code}] Changed after the delete"
    reference = simulators.intigriti.submission(code).internal_reference
    assert reference is not None
    assert reference.reference == new.key


def test_a_sync_that_goes_through_frees_the_submission_from_quarantine(
    simulators: Simulators, runtime: Runtime
) -> None:
    first, second = visible_codes(simulators)[:2]
    for code in (first, second):
        runtime.state.quarantine(code, 1, reason="earlier failure", error="Rejected")

    simulators.jira.set_faults(error_rate=1.0)
    failed = runtime.engine.sync_code(second)
    simulators.jira.clear_faults()
    synced = runtime.engine.sync_code(first)

    assert (synced, failed) == (Outcome.CREATED, Outcome.DEFERRED)
    assert runtime.state.quarantine_record(first) is None
    record = runtime.state.quarantine_record(second)
    assert record is not None and record.reason == "earlier failure"
    assert runtime.state.claim(first, 30) is not None  # the claim was released
