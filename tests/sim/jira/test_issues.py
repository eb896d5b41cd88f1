"""Creating and editing issues through the jira library and raw HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from jira import JIRAError

from tests.sim.jira.conftest import Site

pytestmark = pytest.mark.timeout(30)


def sec_fields(**extra: Any) -> dict[str, Any]:
    fields = {
        "project": {"key": "SEC"},
        "issuetype": {"name": "Bug"},
        "summary": "SQL injection in login",
    }
    fields.update(extra)
    return fields


def error_of(
    site: Site, payload: dict[str, Any], method: str = "POST", path: str = "issue"
) -> tuple[int, dict[str, Any]]:
    with site.http() as http:
        response = http.request(method, f"{site.api}/{path}", json=payload)
    return response.status_code, response.json()


def test_server_info_names_the_deployment(site: Site) -> None:
    info = site.client().server_info()
    assert info["deploymentType"] == ("Cloud" if site.cloud else "DataCenter")
    assert len(info["versionNumbers"]) == 3


def test_myself_shows_account_id_on_cloud_and_name_on_dc(site: Site) -> None:
    me = site.client().myself()
    if site.cloud:
        assert me["accountId"] == "5b10a2844c20165700ede21g"
        assert "name" not in me
    else:
        assert (me["name"], me["key"]) == ("syncd-bot", "syncd-bot")


def test_create_answers_only_id_key_and_self(site: Site) -> None:
    issue = site.client().create_issue(fields=sec_fields(), prefetch=False)
    assert set(issue.raw) == {"id", "key", "self"}
    assert issue.key == "SEC-1"


def test_create_sets_default_priority_and_initial_status(site: Site) -> None:
    created = site.create()
    fetched = site.client().issue(created["id"])
    assert fetched.fields.priority.name == "Medium"
    assert fetched.fields.status.statusCategory.key == "new"
    assert fetched.fields.created.endswith("+0000")


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ("x" * 256, "less than 255"),
        ("two\nlines", "newline"),
        ("", "You must specify a summary"),
    ],
)
def test_bad_summary_is_400(site: Site, summary: str, message: str) -> None:
    status, body = error_of(site, {"fields": sec_fields(summary=summary)})
    assert status == 400
    assert message in body["errors"]["summary"]


def test_missing_summary_is_400_naming_it(site: Site) -> None:
    fields = sec_fields()
    del fields["summary"]
    status, body = error_of(site, {"fields": fields})
    assert (status, list(body["errors"])) == (400, ["summary"])


def test_summary_of_255_characters_is_accepted(site: Site) -> None:
    assert site.create(summary="x" * 255)["key"] == "SEC-1"


def test_description_over_32767_characters_is_400(site: Site) -> None:
    status, body = error_of(
        site, {"fields": sec_fields(description=site.rich("x" * 32_768))}
    )
    assert status == 400
    assert "32,767" in body["errors"]["description"]


def test_description_must_match_the_api_version(site: Site) -> None:
    document = {"type": "doc", "version": 1, "content": []}
    wrong = "plain text" if site.cloud else document
    status, body = error_of(site, {"fields": sec_fields(description=wrong)})
    assert status == 400
    assert "description" in body["errors"]


def test_cloud_v2_takes_wiki_strings_and_v3_shows_adf(cloud: Site) -> None:
    with cloud.http() as http:
        response = http.post(
            f"{cloud.url}/rest/api/2/issue",
            json={"fields": sec_fields(description="line")},
        )
        key = response.json()["key"]
        v3 = http.get(f"{cloud.api}/issue/{key}").json()
    assert v3["fields"]["description"]["type"] == "doc"


def test_field_not_on_screen_is_400_with_jiras_message(site: Site) -> None:
    status, body = error_of(site, {"fields": sec_fields(resolution={"name": "Done"})})
    assert status == 400
    assert body["errors"]["resolution"] == (
        "Field 'resolution' cannot be set. It is not on the appropriate screen, "
        "or unknown."
    )


def test_required_custom_field_missing_is_400(site: Site) -> None:
    fields = {
        "project": {"key": "APPSEC"},
        "issuetype": {"name": "Vulnerability"},
        "summary": "IDOR",
    }
    status, body = error_of(site, {"fields": fields})
    assert status == 400
    assert "customfield_10103" in body["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("priority", {"name": "Urgent"}),
        ("customfield_10101", {"value": "Severe"}),
        ("components", [{"name": "Desktop"}]),
        ("customfield_10100", "9.8"),
    ],
)
def test_unknown_options_are_400(site: Site, field: str, value: Any) -> None:
    status, body = error_of(site, {"fields": sec_fields(**{field: value})})
    assert status == 400
    assert field in body["errors"]


def test_options_take_a_name_or_an_id(site: Site) -> None:
    created = site.create(
        priority={"id": "1"},
        customfield_10101={"value": "Critical"},
        components=[{"name": "API"}],
        customfield_10100=9.8,
    )
    fields = site.client().issue(created["key"]).raw["fields"]
    assert fields["priority"]["name"] == "Highest"
    assert fields["customfield_10101"]["value"] == "Critical"
    assert [c["name"] for c in fields["components"]] == ["API"]
    assert fields["customfield_10100"] == 9.8


def test_label_with_a_space_is_400(site: Site) -> None:
    status, body = error_of(site, {"fields": sec_fields(labels=["two words"])})
    assert status == 400
    assert "labels" in body["errors"]


def test_create_stores_properties(site: Site) -> None:
    payload = {
        "fields": sec_fields(),
        "properties": [{"key": "syncd", "value": {"v": 1}}],
    }
    status, body = error_of(site, payload)
    assert status == 201
    assert site.client().issue_property(body["key"], "syncd").value.v == 1


def test_edit_adds_and_removes_labels(site: Site) -> None:
    created = site.create(labels=["a", "b"])
    status = 0
    with site.http() as http:
        status = http.put(
            f"{site.api}/issue/{created['id']}",
            json={"update": {"labels": [{"add": "c"}, {"remove": "a"}]}},
        ).status_code
    assert status == 204
    assert site.client().issue(created["id"]).fields.labels == ["b", "c"]


def test_edit_checks_the_edit_screen(site: Site) -> None:
    created = site.create()
    status, body = error_of(
        site, {"fields": {"status": {"name": "Done"}}}, "PUT", f"issue/{created['id']}"
    )
    assert status == 400
    assert "status" in body["errors"]


def test_edit_through_the_library_updates_fields(site: Site) -> None:
    created = site.create()
    issue = site.client().issue(created["key"])
    issue.update(fields={"summary": "renamed", "customfield_10102": "INT-1"})
    fetched = site.client().issue(created["key"])
    assert (fetched.fields.summary, fetched.fields.customfield_10102) == (
        "renamed",
        "INT-1",
    )


def test_fields_lists_custom_fields_with_repeated_names(site: Site) -> None:
    fields = site.client().fields()
    severity = sorted(f["id"] for f in fields if f["name"] == "Severity")
    assert severity == ["customfield_10200", "customfield_10201"]
    assert any(f["id"] == "summary" and not f["custom"] for f in fields)


def test_createmeta_per_project_lists_issue_types_and_fields(site: Site) -> None:
    client = site.client()
    if site.cloud:
        # The library refuses these methods on Cloud; read them directly.
        types = client._get_json("issue/createmeta/APPSEC/issuetypes")["issueTypes"]
        fields = client._get_json("issue/createmeta/APPSEC/issuetypes/10005")["fields"]
    else:
        types = [t.raw for t in client.project_issue_types("APPSEC")]
        fields = [f.raw for f in client.project_issue_fields("APPSEC", "10005")]
    assert [t["name"] for t in types] == ["Vulnerability"]
    required = {f["fieldId"] for f in fields if f["required"]}
    assert required == {"summary", "customfield_10103"}


def test_global_createmeta_is_gone(site: Site) -> None:
    with site.http() as http:
        assert http.get(f"{site.api}/issue/createmeta").status_code == 404


def test_editmeta_lists_the_edit_screen(site: Site) -> None:
    created = site.create()
    meta = site.client().editmeta(created["key"])
    assert "labels" in meta["fields"]
    assert "project" not in meta["fields"]


def test_delete_removes_the_issue(site: Site) -> None:
    created = site.create()
    client = site.client()
    client.issue(created["key"]).delete()
    with pytest.raises(JIRAError) as raised:
        client.issue(created["key"])
    assert raised.value.status_code == 404


def test_unauthenticated_requests_are_401(site: Site) -> None:
    import httpx

    with httpx.Client(timeout=5) as http:
        assert http.get(f"{site.api}/myself").status_code == 401
    with httpx.Client(timeout=5, auth=("syncd-bot@example.com", "wrong")) as http:
        assert http.get(f"{site.api}/myself").status_code == 401


def test_cloud_does_not_serve_v3_on_dc(dc: Site) -> None:
    with dc.http() as http:
        assert http.get(f"{dc.url}/rest/api/3/myself").status_code == 404
