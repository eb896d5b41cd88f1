"""mappings/schema.json: generated from the models, checked in for editors."""

from __future__ import annotations

import json

import jsonschema  # type: ignore[import-untyped]  # no stubs installed
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from syncd.cli import main
from syncd.commands.mapping import schema_text

from .conftest import REPO

SCHEMA = REPO / "mappings" / "schema.json"
SHIPPED = sorted((REPO / "mappings").glob("*.yaml"))


def test_shipped_schema_is_fresh() -> None:
    """Regenerates a stale file, then fails: rerun and commit the new file."""
    fresh = schema_text()
    shipped = SCHEMA.read_text(encoding="utf-8") if SCHEMA.exists() else ""

    if shipped != fresh:
        SCHEMA.write_text(fresh, encoding="utf-8")
    assert shipped == fresh, "mappings/schema.json was stale; regenerated, commit it"


def test_schema_command_prints_the_schema() -> None:
    result = CliRunner().invoke(main, ["mapping", "schema"])

    assert result.exit_code == 0
    assert result.output == schema_text()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_mappings_validate_against_the_schema(path) -> None:
    document = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))

    jsonschema.validate(document, json.loads(schema_text()))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_mappings_point_editors_at_the_schema(path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]

    assert first == "# yaml-language-server: $schema=schema.json"


def test_schema_refuses_a_field_object_with_two_sources() -> None:
    schema = json.loads(schema_text())
    document = YAML(typ="safe", pure=True).load(
        "version: 1\ndefaults: {project: SEC, issue_type: Bug, summary: x,"
        " description: [{field: impact}], fields: {}}\n"
    )
    jsonschema.validate(document, schema)
    document["defaults"]["fields"] = {"X": {"text": "a", "number": "1"}}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
