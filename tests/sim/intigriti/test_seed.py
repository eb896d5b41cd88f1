"""The seeded corpus: deterministic, realistic, consistent."""

from __future__ import annotations

import re
from pathlib import Path

from syncd.sim.intigriti import IntigritiSimConfig, IntigritiStore
from syncd.sim.intigriti.cvss import base_score, severity_key
from syncd.sim.intigriti.seed import generate

from .conftest import SimFactory


def test_same_seed_gives_the_same_corpus() -> None:
    config = IntigritiSimConfig(seed=7, size=30)

    assert generate(config) == generate(config)
    assert generate(config) != generate(IntigritiSimConfig(seed=8, size=30))


def test_size_zero_has_programs_and_no_submissions(make_sim: SimFactory) -> None:
    sim = make_sim(size=0)

    assert sim.client.get("/external/company/v2.1/submissions").json() == []
    assert len(sim.client.get("/external/company/v2.1/programs").json()) == 3


def test_corpus_is_varied_and_consistent() -> None:
    corpus = generate(IntigritiSimConfig(seed=3, size=150))
    subs = corpus.submissions

    statuses = {sub.status for sub in subs}
    assert statuses == {"draft", "triage", "pending", "accepted", "closed", "archived"}
    assert len(corpus.programs) >= 3
    assert any(sub.close_reason == "duplicate" for sub in subs)
    assert all(re.fullmatch(r"KESTRELWORKS-[A-Z0-9]{8}", sub.code) for sub in subs)
    for sub in subs:
        assert sub.severity.vector is not None
        assert sub.severity.score == base_score(sub.severity.vector)
        assert sub.severity.key == severity_key(sub.severity.score)
        stamps = [sub.created_at, *(event.created_at for event in sub.events)]
        assert stamps == sorted(stamps)
        assert sub.last_updated_at >= stamps[-1]
        if sub.duplicate_parent:
            parent = next(p for p in subs if p.code == sub.duplicate_parent)
            assert sub.code in parent.duplicate_children


def test_report_html_has_rich_markup_and_non_ascii() -> None:
    html = " ".join(
        sub.report.poc_description
        for sub in generate(IntigritiSimConfig(size=20)).submissions
    )

    for tag in ("<p>", "<ol>", "<li>", "<pre><code>", "<table>", "<a href="):
        assert tag in html
    assert any(ord(char) > 127 for char in html)
    assert ".example" in html


def test_histories_include_messages_and_payouts() -> None:
    subs = generate(IntigritiSimConfig(size=60)).submissions
    kinds = {event.kind for sub in subs for event in sub.events}

    assert {"status_changed", "message_placed", "payout_added"} <= kinds


def test_timestamps_span_past_years() -> None:
    config = IntigritiSimConfig(size=80)
    created = [sub.created_at for sub in generate(config).submissions]

    assert max(created) < config.seed_anchor
    assert max(created) - min(created) > 2 * 365 * 86400


def test_load_json_replaces_the_corpus(tmp_path: Path) -> None:
    source = IntigritiStore(IntigritiSimConfig(seed=5, size=4))
    path = tmp_path / "corpus.json"
    source.dump_json(path)
    target = IntigritiStore(IntigritiSimConfig(seed=6, size=9))

    target.load_json(path)

    assert target.corpus() == source.corpus()
