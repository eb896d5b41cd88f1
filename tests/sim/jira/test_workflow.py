"""Transitions: only from the current status, screens, resolution."""

from __future__ import annotations

from typing import Any

import pytest
from jira import JIRAError

from tests.sim.jira.conftest import Site

pytestmark = pytest.mark.timeout(30)


def names(site: Site, key: str) -> dict[str, str]:
    """Transition name -> target status name, as the library lists them."""
    return {t["name"]: t["to"]["name"] for t in site.client().transitions(key)}


def post(site: Site, key: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with site.http() as http:
        response = http.post(f"{site.api}/issue/{key}/transitions", json=payload)
    return response.status_code, (response.json() if response.content else {})


def test_simple_workflow_lists_transitions_from_the_current_status(site: Site) -> None:
    key = site.create()["key"]
    assert names(site, key) == {"Start Progress": "In Progress", "Done": "Done"}
    site.client().transition_issue(key, "11")
    assert names(site, key) == {"Done": "Done", "Stop Progress": "To Do"}


def test_transition_targets_carry_status_category(site: Site) -> None:
    key = site.create()["key"]
    done = next(t for t in site.client().transitions(key) if t["id"] == "21")
    assert done["to"]["statusCategory"] == {
        "self": done["to"]["statusCategory"]["self"],
        "id": 3,
        "key": "done",
        "colorName": "green",
        "name": "Done",
    }


def test_security_workflow_names_differ_from_statuses(site: Site) -> None:
    key = site.create("APPSEC")["key"]
    client = site.client()
    assert names(site, key) == {"Start triage": "Triaging"}
    client.transition_issue(key, "11")
    assert names(site, key)["Resolve as duplicate"] == "Done"
    assert "Verifying" not in names(site, key).values()


def test_unavailable_transition_is_400(site: Site) -> None:
    key = site.create("APPSEC")["key"]
    with pytest.raises(JIRAError) as raised:
        site.client().transition_issue(key, "31")
    assert raised.value.status_code == 400


def test_status_cannot_be_set_directly(site: Site) -> None:
    key = site.create()["key"]
    with site.http() as http:
        response = http.put(
            f"{site.api}/issue/{key}", json={"fields": {"status": {"name": "Done"}}}
        )
    assert response.status_code == 400


def test_required_resolution_missing_is_400(site: Site) -> None:
    key = site.create("APPSEC")["key"]
    site.client().transition_issue(key, "11")
    status, body = post(site, key, {"transition": {"id": "41"}})
    assert (status, list(body["errors"])) == (400, ["resolution"])


def test_field_not_on_transition_screen_is_400(site: Site) -> None:
    key = site.create("APPSEC")["key"]
    status, body = post(
        site,
        key,
        {"transition": {"id": "11"}, "fields": {"resolution": {"name": "Done"}}},
    )
    assert status == 400
    assert "cannot be set" in body["errors"]["resolution"]


def test_done_entry_sets_resolution_from_screen_and_reopen_clears_it(
    site: Site,
) -> None:
    key = site.create("APPSEC")["key"]
    client = site.client()
    client.transition_issue(key, "11")
    client.transition_issue(key, "41", fields={"resolution": {"name": "Duplicate"}})
    fields = client.issue(key).fields
    assert fields.resolution is not None
    assert (fields.status.name, fields.resolution.name) == ("Done", "Duplicate")
    assert fields.resolutiondate is not None
    client.transition_issue(key, "71")
    assert client.issue(key).fields.resolution is None


def test_post_function_sets_resolution_without_a_screen(site: Site) -> None:
    key = site.create("APPSEC")["key"]
    client = site.client()
    for transition in ("11", "21", "31", "51"):
        client.transition_issue(key, transition)
    resolution = client.issue(key).fields.resolution
    assert resolution is not None
    assert resolution.name == "Done"


def test_simple_workflow_reopen_keeps_resolution(site: Site) -> None:
    key = site.create()["key"]
    client = site.client()
    client.transition_issue(key, "21", fields={"resolution": {"name": "Won't Do"}})
    client.transition_issue(key, "41")
    fields = client.issue(key).fields
    assert fields.resolution is not None
    assert (fields.status.name, fields.resolution.name) == ("To Do", "Won't Do")


def test_done_without_resolution_leaves_it_empty(site: Site) -> None:
    key = site.create()["key"]
    site.client().transition_issue(key, "21")
    fields = site.client().issue(key).fields
    assert fields.status.statusCategory.key == "done"
    assert fields.resolution is None


def test_expand_transitions_fields_lists_the_screen(site: Site) -> None:
    key = site.create("APPSEC")["key"]
    client = site.client()
    client.transition_issue(key, "11")
    listed = client.transitions(key, expand="transitions.fields")
    duplicate = next(t for t in listed if t["id"] == "41")
    assert duplicate["fields"]["resolution"]["required"] is True
    assert "fields" not in client.transitions(key)[0]


def test_a_person_can_transition_with_their_own_credentials(site: Site) -> None:
    key = site.create()["key"]
    site.client("alice").transition_issue(key, "11")
    assert site.client().issue(key).fields.status.name == "In Progress"
    posts = [r for r in site.store.requests() if r["path"].endswith("/transitions")]
    assert posts[-1]["user"] == "alice"


def test_transition_comment_needs_the_screen(site: Site) -> None:
    key = site.create("APPSEC")["key"]
    client = site.client()
    client.transition_issue(key, "11")
    with pytest.raises(JIRAError):
        client.transition_issue(key, "21", comment="why")
    client.transition_issue(
        key, "61", fields={"resolution": {"name": "Won't Do"}}, comment="why"
    )
    assert len(client.comments(key)) == 1
