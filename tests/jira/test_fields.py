"""Custom field names to ids, and plain values to Jira's shapes."""

from __future__ import annotations

import pytest

from syncd.errors import MappingError
from syncd.jira.fields import FieldCatalog, FieldInfo, pick, shape_value
from syncd.jira.models import Flavour

CVSS = FieldInfo("customfield_10100", "CVSS Score", True, "number")
SEVERITY_SEC = FieldInfo("customfield_10200", "Severity", True, "option")
SEVERITY_APPSEC = FieldInfo("customfield_10201", "Severity", True, "option")
PLATFORMS = FieldInfo(
    "customfield_10106", "Affected Platforms", True, "array", "option"
)
CHAMPION = FieldInfo("customfield_10105", "Security Champion", True, "user")
CATALOG = FieldCatalog([CVSS, SEVERITY_SEC, SEVERITY_APPSEC, PLATFORMS, CHAMPION])


def test_a_name_is_found_whatever_its_case() -> None:
    assert CATALOG.candidates("cvss score") == [CVSS]


def test_a_shared_name_yields_every_field_that_has_it() -> None:
    assert CATALOG.candidates("Severity") == [SEVERITY_SEC, SEVERITY_APPSEC]


def test_the_create_screen_decides_between_fields_sharing_a_name() -> None:
    chosen = pick([SEVERITY_SEC, SEVERITY_APPSEC], {"summary", "customfield_10201"})

    assert chosen == SEVERITY_APPSEC


def test_an_unknown_name_is_reported_with_the_closest_names() -> None:
    error = CATALOG.unknown("CVSS")

    assert isinstance(error, MappingError)
    assert str(error) == "Jira has no field named 'CVSS'; candidates: 'CVSS Score'"


def test_select_user_and_multiselect_values_are_wrapped_per_flavour() -> None:
    assert shape_value(SEVERITY_SEC, "S1", Flavour.CLOUD) == {"value": "S1"}
    assert shape_value(PLATFORMS, ["Web", "iOS"], Flavour.CLOUD) == [
        {"value": "Web"},
        {"value": "iOS"},
    ]
    assert shape_value(CHAMPION, "abc", Flavour.CLOUD) == {"accountId": "abc"}
    assert shape_value(CHAMPION, "alice", Flavour.DATA_CENTER) == {"name": "alice"}


def test_values_already_shaped_or_plain_pass_unchanged() -> None:
    assert shape_value(SEVERITY_SEC, {"id": "10320"}, Flavour.CLOUD) == {"id": "10320"}
    assert shape_value(CVSS, 9.8, Flavour.CLOUD) == 9.8
    assert shape_value(SEVERITY_SEC, None, Flavour.CLOUD) is None


@pytest.mark.parametrize("name", ["Nothing Like It", ""])
def test_a_name_with_no_close_match_says_so(name: str) -> None:
    assert str(CATALOG.unknown(name)).endswith("candidates: none similar")
