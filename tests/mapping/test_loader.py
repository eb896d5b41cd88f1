"""load_mapping: errors name the file, the line and the key."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from syncd.errors import ConfigError
from syncd.intigriti.enums import Severity
from syncd.mapping.loader import MAX_FILE_BYTES, MAX_NODES, load_mapping

from .conftest import REPO, WriteMapping

VALID = """\
version: 1
defaults:
  project: SEC
  issue_type: Bug
  summary: "[{{ code }}] {{ title }}"
  description:
    - field: impact
rules:
  - name: mobile
    match:
      asset: "*.apk"
    project: MOBILE
"""


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    return str(caught.value)


def test_shipped_mappings_load() -> None:
    default = load_mapping(REPO / "mappings" / "default.yaml")
    multi = load_mapping(REPO / "mappings" / "multi-program.yaml")

    assert default.defaults.project == "SEC"
    assert default.defaults.priority[Severity.EXCEPTIONAL] == "Highest"
    assert [rule.name for rule in multi.rules] == [
        "mobile",
        "webshop",
        "api-critical",
        "api",
    ]


def test_a_scalar_match_value_is_a_one_item_list(write_mapping: WriteMapping) -> None:
    mapping = load_mapping(write_mapping(VALID))

    assert mapping.rules[0].match.asset == ["*.apk"]


def test_wrong_type_names_file_line_and_key(write_mapping: WriteMapping) -> None:
    path = write_mapping(VALID.replace("project: MOBILE", "project: [MOBILE]"))

    assert _error(path) == (
        "invalid mapping file:\n"
        f"{path}:12:5: rules[0] (rule 'mobile').project: Input should be a valid string"
    )


def test_unknown_key_names_file_line_and_key(write_mapping: WriteMapping) -> None:
    path = write_mapping(VALID.replace("    project: MOBILE", "    projekt: MOBILE"))

    assert _error(path) == (
        "invalid mapping file:\n"
        f"{path}:12:5: rules[0] (rule 'mobile').projekt: unknown key 'projekt'"
    )


def test_missing_key_names_the_map_that_lacks_it(write_mapping: WriteMapping) -> None:
    path = write_mapping(VALID.replace("  issue_type: Bug\n", ""))

    assert _error(path) == (
        f"invalid mapping file:\n{path}:2:1: defaults: missing key 'issue_type'"
    )


def test_unknown_severity_in_priority_map_is_reported(
    write_mapping: WriteMapping,
) -> None:
    text = VALID.replace(
        "  description:", "  priority:\n    urgent: Highest\n  description:"
    )
    path = write_mapping(text)

    assert f"{path}:7:5: defaults.priority.urgent: Input should be" in _error(path)


def test_section_without_a_kind_is_reported(write_mapping: WriteMapping) -> None:
    path = write_mapping(VALID.replace("- field: impact", "- feild: impact"))

    assert _error(path) == (
        "invalid mapping file:\n"
        f"{path}:7:7: defaults.description[0]: "
        "a section needs one of: heading, text, facts, field"
    )


def test_malformed_yaml_reports_the_parser_line(write_mapping: WriteMapping) -> None:
    path = write_mapping(
        VALID.replace('summary: "[{{ code }}] {{ title }}"', "summary: [x")
    )

    message = _error(path)

    assert message.startswith(f"{path}:6:")
    assert "invalid YAML" in message


def test_duplicate_key_is_a_yaml_error(write_mapping: WriteMapping) -> None:
    path = write_mapping(
        VALID.replace("  issue_type: Bug\n", "  issue_type: Bug\n  project: X\n")
    )

    assert "invalid YAML" in _error(path)


def test_template_syntax_error_names_rule_and_field(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping(VALID + "    labels:\n      - ok\n      - '{{ code '\n")

    assert _error(path) == (
        "invalid mapping file:\n"
        f"{path}:15:9: rules[0] (rule 'mobile').labels[1]: template syntax error: "
        "unexpected end of template, expected 'end of print statement'. "
        "(template line 1)"
    )


def test_every_error_is_reported_at_once(write_mapping: WriteMapping) -> None:
    text = VALID.replace("version: 1", "version: 2").replace("SEC", "sec")
    path = write_mapping(text)

    lines = _error(path).splitlines()

    assert [line.split(": ")[0] for line in lines[1:]] == [
        f"{path}:1:1",
        f"{path}:3:3",
    ]


def test_duplicate_rule_names_are_refused(write_mapping: WriteMapping) -> None:
    rule = VALID.split("rules:\n")[1]
    path = write_mapping(VALID + rule)

    assert "rule names must be unique: mobile" in _error(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    assert _error(path).startswith(f"{path}: cannot read mapping file")


def test_a_list_at_the_top_is_refused(write_mapping: WriteMapping) -> None:
    path = write_mapping("- version: 1\n")

    assert _error(path) == f"{path}:1:1: a mapping file must be a YAML mapping"


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def test_an_alias_bomb_is_refused_at_its_first_alias(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping(BILLION_LAUGHS)
    started = time.perf_counter()

    message = _error(path)

    assert time.perf_counter() - started < 5  # unbounded, this runs for minutes
    assert message == (
        f"{path}:2:8: invalid YAML: alias *a refused: a mapping file may not use "
        "aliases; write the value out"
    )


def test_a_merge_key_alias_is_refused_with_its_line(
    write_mapping: WriteMapping,
) -> None:
    text = VALID.replace("    project: MOBILE", "    <<: *base")
    path = write_mapping(
        text.replace("rules:", "base: &base {project: MOBILE}\nrules:")
    )

    assert _error(path).startswith(f"{path}:13:9: invalid YAML: alias *base refused")


def test_a_file_over_the_cap_is_refused_before_parsing(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping(VALID + "#" * MAX_FILE_BYTES + "\n: [")

    assert _error(path) == (
        f"{path}: mapping file is larger than the {MAX_FILE_BYTES}-byte cap"
    )


def test_a_file_of_too_many_nodes_fails_fast(write_mapping: WriteMapping) -> None:
    items = "".join(f"  - l{i}\n" for i in range(MAX_NODES + 10))
    path = write_mapping(VALID.replace("rules:", "  labels:\n" + items + "rules:"))
    started = time.perf_counter()

    message = _error(path)

    assert time.perf_counter() - started < 15  # unbounded: over a minute
    assert f"invalid YAML: more than {MAX_NODES} YAML nodes" in message


def test_deep_nesting_is_refused(write_mapping: WriteMapping) -> None:
    path = write_mapping(VALID + "x: " + "[" * 200 + "]" * 200 + "\n")

    assert "maximum depth" in _error(path)
