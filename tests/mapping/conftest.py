"""A factory of Submissions and a small mapping for the mapping tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syncd.intigriti.models import Enumerated, SeverityRating, Submission
from syncd.mapping.loader import load_mapping
from syncd.mapping.models import Mapping

REPO = Path(__file__).resolve().parents[2]
MakeSubmission = Callable[..., Submission]
WriteMapping = Callable[[str], Path]


def _make_submission(**overrides: Any) -> Submission:
    fields: dict[str, Any] = {
        "code": "NORTHWIND-7QK2XW9D",
        "program_id": "3f0c9a5e-1b2d-4c6e-9f10-a1b2c3d4e5f6",
        "program_handle": "northwind",
        "program_name": "Northwind Traders",
        "title": "Stored XSS in order notes rendered to support agents",
        "status": Enumerated(id=4, value="Accepted"),
        "severity": SeverityRating(
            id=4,
            value="High",
            vector="CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:H/A:N",
            score=7.6,
        ),
        "vulnerability_type": "Cross-Site Scripting (Stored)",
        "vulnerability_category": "Injection",
        "cwe": "cwe-79",
        "asset": "support.northwind.example",
        "endpoint": "/api/orders/{id}/notes",
        "poc_description": "<p>Add a note with a payload.</p>",
        "impact": "<p>Session riding on agent accounts.</p>",
        "recommended_solution": "<p>Encode output.</p>",
        "tags": ("xss", "support portal"),
        "submitter": "quietlark",
        "created_at": datetime(2024, 12, 18, 9, 19, 5, tzinfo=UTC),
        "last_updated_at": datetime(2024, 12, 21, 12, 1, 0, tzinfo=UTC),
        "web_url": "https://app.intigriti.com/company/submissions/p/NORTHWIND-7QK2XW9D",
    }
    fields.update(overrides)
    return Submission(**fields)


@pytest.fixture
def make_submission() -> MakeSubmission:
    return _make_submission


@pytest.fixture
def write_mapping(tmp_path: Path) -> WriteMapping:
    def write(text: str) -> Path:
        path = tmp_path / "mapping.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def default_mapping() -> Mapping:
    return load_mapping(REPO / "mappings" / "default.yaml")


@pytest.fixture
def multi_mapping() -> Mapping:
    return load_mapping(REPO / "mappings" / "multi-program.yaml")
