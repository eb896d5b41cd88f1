"""Reading Retry-After and summarising Jira's 400s without their values."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from syncd.jira.errors import rejection_summary, retry_after_seconds

NOW = datetime(2026, 12, 3, 16, 0, 0, tzinfo=UTC)


def _response(status: int, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


def test_retry_after_in_seconds_is_read_as_seconds() -> None:
    assert retry_after_seconds({"Retry-After": "7"}, NOW) == 7.0


def test_retry_after_as_http_date_is_the_time_left_until_then() -> None:
    headers = {"Retry-After": "Thu, 03 Dec 2026 16:00:30 GMT"}

    assert retry_after_seconds(headers, NOW) == 30.0


def test_retry_after_in_the_past_means_no_wait() -> None:
    headers = {"Retry-After": "Thu, 03 Dec 2026 15:59:00 GMT"}

    assert retry_after_seconds(headers, NOW) == 0.0


def test_rate_limit_reset_is_used_when_retry_after_is_missing() -> None:
    headers = {"X-RateLimit-Reset": "2026-12-03T16:00:12Z"}

    assert retry_after_seconds(headers, NOW) == 12.0


def test_unreadable_retry_after_gives_no_delay() -> None:
    assert retry_after_seconds({"Retry-After": "soon"}, NOW) is None
    assert retry_after_seconds({}, NOW) is None


def test_rejection_summary_names_fields_but_not_their_messages() -> None:
    body = (
        b'{"errorMessages": [], "errors": {"summary": "secret XSS payload <svg>",'
        b' "customfield_10100": "bad"}}'
    )

    summary = rejection_summary(_response(400, body))

    assert summary == "fields: customfield_10100, summary"


def test_rejection_summary_keeps_the_first_message_cut_to_200_characters() -> None:
    body = b'{"errorMessages": ["' + b"x" * 300 + b'", "second"], "errors": {}}'

    summary = rejection_summary(_response(400, body))

    assert summary == "message: " + "x" * 200


def test_rejection_summary_of_a_non_json_body_is_empty() -> None:
    assert rejection_summary(_response(413, b"<html>too big</html>")) == ""
