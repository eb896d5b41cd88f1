"""Every template is tried when the mapping loads, so `check` and `run` see
what would otherwise quarantine every submission."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncd.cli import EXIT_CONFIG, main
from syncd.commands.mapping import check_report
from syncd.errors import ConfigError
from syncd.mapping import templates
from syncd.mapping.loader import load_mapping
from syncd.mapping.validate import sample_contexts
from syncd.sim.runner import running_simulators, write_env_file

from .conftest import WriteMapping

MAPPING = """\
version: 1
defaults:
  project: SEC
  issue_type: Bug
  summary: "[{{ code }}] {{ title }}"
  description:
    - text: "Reported by {{ submitter }}"
    - field: impact
      heading: Impact
  components: ["{{ asset }}"]
  fields:
    Severity: {map: {from: "{{ severity }}", values: {high: S2}}}
rules:
  - name: mobile
    match: {asset: "*.apk"}
    labels: ["{{ program_handle }}"]
    fields:
      Score: {number: "{{ severity_score }}"}
"""


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    return str(caught.value)


def test_the_sample_mapping_loads(write_mapping: WriteMapping) -> None:
    mapping = load_mapping(write_mapping(MAPPING))

    assert mapping.rules[0].name == "mobile"


@pytest.mark.parametrize(
    ("good", "bad", "where"),
    [
        ("{{ title }}", "{{ titel }}", "5:3: defaults.summary:"),
        ("{{ submitter }}", "{{ submiter }}", "7:7: defaults.description[0].text:"),
        (
            "heading: Impact",
            "heading: '{{ x }}'",
            "9:7: defaults.description[1].heading:",
        ),
        ('["{{ asset }}"]', '["{{ assets }}"]', "10:16: defaults.components[0]:"),
        (
            '"{{ severity }}"',
            '"{{ sevrity }}"',
            "12:22: defaults.fields.Severity.map.from:",
        ),
        (
            '"{{ program_handle }}"',
            '"{{ handle }}"',
            "16:14: rules[0] (rule 'mobile').labels[0]:",
        ),
        (
            '"{{ severity_score }}"',
            '"{{ score }}"',
            "18:15: rules[0] (rule 'mobile').fields.Score.number:",
        ),
    ],
)
def test_an_undefined_name_anywhere_names_file_line_and_key(
    write_mapping: WriteMapping, good: str, bad: str, where: str
) -> None:
    path = write_mapping(MAPPING.replace(good, bad, 1))

    message = _error(path)

    assert message.startswith(f"invalid mapping file:\n{path}:{where}")
    assert "template undefined name" in message


def test_the_full_message_of_a_misspelt_variable(write_mapping: WriteMapping) -> None:
    path = write_mapping(MAPPING.replace("{{ title }}", "{{ titel }}"))

    assert _error(path) == (
        "invalid mapping file:\n"
        f"{path}:5:3: defaults.summary: template undefined name 'titel' "
        "(not in the template context)"
    )


def test_an_unknown_filter_in_a_branch_no_sample_takes_is_found(
    write_mapping: WriteMapping,
) -> None:
    bad = "{% if severity == 'none' %}{{ title | shout }}{% endif %}"
    path = write_mapping(MAPPING.replace("[{{ code }}] {{ title }}", bad))

    assert _error(path) == (
        "invalid mapping file:\n"
        f"{path}:5:3: defaults.summary: template no filter named 'shout'"
    )


def test_a_type_error_on_a_submission_without_score_is_found(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping(
        MAPPING.replace("{{ severity_score }}", "{{ severity_score * 10 }}")
    )

    assert _error(path) == (
        "invalid mapping file:\n"
        f"{path}:18:15: rules[0] (rule 'mobile').fields.Score.number: template "
        "fails with a sparse sample submission: TypeError"
    )


def test_every_problem_is_listed(write_mapping: WriteMapping) -> None:
    text = MAPPING.replace("{{ title }}", "{{ titel }}").replace(
        "{{ asset }}", "{{ a }}"
    )

    lines = _error(write_mapping(text)).splitlines()

    assert len(lines) == 3


def test_samples_hold_every_documented_key_and_none_where_allowed() -> None:
    table = re.split(r"^=+ +=+$", templates.__doc__ or "", flags=re.M)[2]
    documented = re.findall(r"^([a-z_]+) +\S", table, re.M)
    full, sparse = sample_contexts()["full"], sample_contexts()["sparse"]

    assert sorted(full) == sorted(documented)
    assert sorted(sparse) == sorted(documented)
    assert [key for key, value in full.items() if value is None] == []
    assert [key for key, value in sparse.items() if value is None] == [
        key for key in documented if f"\n{key} " in _none_rows()
    ]


def _none_rows() -> str:
    return "\n" + "\n".join(
        line for line in (templates.__doc__ or "").splitlines() if "or None" in line
    )


def test_offline_check_reports_an_undefined_name(write_mapping: WriteMapping) -> None:
    path = write_mapping(MAPPING.replace("{{ title }}", "{{ titel }}"))

    ok, text = check_report([path], None)

    assert not ok
    assert f"{path}:5:3: defaults.summary: template undefined name 'titel'" in text


@pytest.fixture
def signal_handlers() -> Iterator[None]:
    """`syncd run` installs its stop handlers; put pytest's back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("signal_handlers")
def test_run_refuses_a_mapping_with_an_undefined_name(
    write_mapping: WriteMapping, tmp_path: Path
) -> None:
    mapping = write_mapping(MAPPING.replace("{{ title }}", "{{ titel }}"))
    env_file = tmp_path / "syncd.env"
    with running_simulators(seed=3, submissions=1) as sims:
        write_env_file(env_file, sims.settings_env("redis://127.0.0.1:1/0", mapping))

        result = CliRunner().invoke(main, ["run", "--env-file", str(env_file)])

    assert result.exit_code == EXIT_CONFIG
    assert "template undefined name 'titel'" in result.output
