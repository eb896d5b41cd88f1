"""Search: DC offsets, Cloud tokens, 410 Gone, JQL errors, index lag."""

from __future__ import annotations

import time

import pytest

from tests.sim.jira.conftest import Site

pytestmark = pytest.mark.timeout(30)


def test_dc_search_pages_with_total(dc: Site) -> None:
    for _ in range(3):
        dc.create(labels=["intigriti"])
    page = dc.client().search_issues("labels = intigriti ORDER BY key", maxResults=2)
    assert (page.total, [i.key for i in page]) == (3, ["SEC-1", "SEC-2"])
    with dc.http() as http:
        body = http.get(
            f"{dc.api}/search", params={"jql": "project = SEC", "startAt": 2}
        ).json()
    assert (body["startAt"], body["total"], len(body["issues"])) == (2, 3, 1)


def test_cloud_enhanced_search_pages_by_token_without_total(cloud: Site) -> None:
    for _ in range(3):
        cloud.create()
    found = cloud.client().enhanced_search_issues("project = SEC", maxResults=0)
    assert [i.key for i in found] == ["SEC-1", "SEC-2", "SEC-3"]
    with cloud.http() as http:
        body = http.get(
            f"{cloud.api}/search/jql", params={"jql": "project = SEC", "maxResults": 2}
        ).json()
    assert "total" not in body
    assert body["nextPageToken"]
    assert body["issues"][0] == {
        "id": "10000",
        "key": "SEC-1",
        "self": body["issues"][0]["self"],
        "expand": body["issues"][0]["expand"],
        "fields": {},
    }


def test_cloud_old_search_is_gone(cloud: Site) -> None:
    with cloud.http() as http:
        for version in ("2", "3"):
            response = http.get(f"{cloud.url}/rest/api/{version}/search?jql=")
            assert response.status_code == 410


def test_search_fields_selection_is_honoured(site: Site) -> None:
    site.create(labels=["a"])
    path = "search/jql" if site.cloud else "search"
    with site.http() as http:
        body = http.get(
            f"{site.api}/{path}",
            params={"jql": "labels = a", "fields": "summary,labels"},
        ).json()
    assert set(body["issues"][0]["fields"]) == {"summary", "labels"}


@pytest.mark.parametrize(
    ("jql", "fragment"),
    [
        ("project = ", "Error in the JQL Query"),
        ("colour = red", "Field 'colour' does not exist"),
        ("project = NOPE", "The value 'NOPE' does not exist"),
        ("created > tomorrowish", "Date value"),
    ],
)
def test_bad_jql_is_400(site: Site, jql: str, fragment: str) -> None:
    path = "search/jql" if site.cloud else "search"
    with site.http() as http:
        response = http.get(f"{site.api}/{path}", params={"jql": jql})
    assert response.status_code == 400
    assert fragment in response.json()["errorMessages"][0]


def test_index_lag_hides_new_issues_but_get_is_immediate(site: Site) -> None:
    site.store.set_faults(index_lag_ms=2000)
    created = site.create(labels=["fresh"])
    started = time.monotonic()
    client = site.client()
    assert client.issue(created["id"]).key == created["key"]
    search = client.enhanced_search_issues if site.cloud else client.search_issues
    assert list(search("labels = fresh")) == []
    while not (found := [i.key for i in search("labels = fresh")]):
        assert time.monotonic() - started < 10, "never indexed"
        time.sleep(0.1)
    assert found == [created["key"]]
    assert time.monotonic() - started >= 1.9


def test_reconcile_issues_reads_lagging_issues_consistently(cloud: Site) -> None:
    cloud.store.set_faults(index_lag_ms=5000)
    created = cloud.create(labels=["fresh"])
    found = cloud.client().enhanced_search_issues(
        "labels = fresh", reconcileIssues=[int(created["id"])]
    )
    assert [i.id for i in found] == [created["id"]]


def test_updated_filter_uses_the_searchers_zone(site: Site) -> None:
    site.create()
    with site.http() as http:
        path = "search/jql" if site.cloud else "search"
        body = http.get(f"{site.api}/{path}", params={"jql": "updated >= -5m"}).json()
    assert len(body["issues"]) == 1


def test_moved_issue_is_found_by_its_old_key(site: Site) -> None:
    key = site.create()["key"]
    site.store.move_issue(key, "MOBILE")
    client = site.client()
    search = client.enhanced_search_issues if site.cloud else client.search_issues
    assert [i.key for i in search(f"key = {key}")] == ["MOBILE-1"]
