"""Comments, remote links, attachments, properties and moves."""

from __future__ import annotations

import io

import httpx
import pytest
from jira import JIRAError

from tests.sim.jira.conftest import Site

pytestmark = pytest.mark.timeout(30)


def test_comment_with_role_visibility_is_kept_internal(site: Site) -> None:
    key = site.create()["key"]
    comment = site.client().add_comment(
        key, "internal", visibility={"type": "role", "value": "Developers"}
    )
    assert comment.raw["visibility"] == {"type": "role", "value": "Developers"}


def test_comment_with_unknown_group_is_400(site: Site) -> None:
    key = site.create()["key"]
    with pytest.raises(JIRAError) as raised:
        site.client().add_comment(
            key, "x", visibility={"type": "group", "value": "nobody"}
        )
    assert raised.value.status_code == 400


def test_comment_body_is_adf_on_v3_and_limited_in_length(site: Site) -> None:
    key = site.create()["key"]
    with site.http() as http:
        ok = http.post(
            f"{site.api}/issue/{key}/comment", json={"body": site.rich("hi")}
        )
        long = http.post(
            f"{site.api}/issue/{key}/comment", json={"body": site.rich("x" * 32_768)}
        )
    assert ok.status_code == 201
    assert (ok.json()["body"]["type"] if site.cloud else ok.json()["body"]) == (
        "doc" if site.cloud else "hi"
    )
    assert long.status_code == 400


def test_remote_link_with_same_global_id_is_updated(site: Site) -> None:
    key = site.create()["key"]
    client = site.client()
    first = client.add_remote_link(
        key, {"url": "https://a.example", "title": "A"}, globalId="g"
    )
    second = client.add_remote_link(
        key, {"url": "https://b.example", "title": "B"}, globalId="g"
    )
    links = client.remote_links(key)
    assert first.id == second.id
    assert [link.object.url for link in links] == ["https://b.example"]


def test_attachment_is_stored(site: Site) -> None:
    key = site.create()["key"]
    attachment = site.client().add_attachment(
        key, io.BytesIO(b"poc"), filename="poc.txt"
    )
    assert (attachment.filename, attachment.size) == ("poc.txt", 3)


def test_attachment_over_the_site_limit_is_413(site: Site) -> None:
    key = site.create()["key"]
    limit = site.store.config.attachment_max_bytes
    with site.http() as http:
        response = http.post(
            f"{site.api}/issue/{key}/attachments",
            headers={"X-Atlassian-Token": "no-check"},
            files={"file": ("big.bin", b"x" * (limit + 1))},
        )
    assert response.status_code == 413


def test_attachment_without_xsrf_header_is_403(site: Site) -> None:
    key = site.create()["key"]
    with site.http() as http:
        response = http.post(
            f"{site.api}/issue/{key}/attachments", files={"file": ("a", b"x")}
        )
    assert response.status_code == 403


def test_issue_properties_round_trip(site: Site) -> None:
    key = site.create()["key"]
    client = site.client()
    client.add_issue_property(key, "syncd.link", {"submission": "ABC"})
    assert client.issue_property(key, "syncd.link").value.submission == "ABC"
    assert [p.key for p in client.issue_properties(key)] == ["syncd.link"]
    with site.http() as http:
        assert (
            http.delete(f"{site.api}/issue/{key}/properties/syncd.link").status_code
            == 204
        )
        assert (
            http.get(f"{site.api}/issue/{key}/properties/syncd.link").status_code == 404
        )


def test_move_changes_the_key_but_not_the_id(site: Site) -> None:
    created = site.create()
    with httpx.Client(timeout=5) as http:
        moved = http.post(
            f"{site.url}/_sim/issues/{created['key']}/move", json={"project": "MOBILE"}
        ).json()
    client = site.client()
    assert moved == {"key": "MOBILE-1"}
    assert client.issue(created["id"]).key == "MOBILE-1"
    assert client.issue(created["key"]).id == created["id"]
