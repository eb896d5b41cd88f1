"""Settings: where they come from, and how a bad one is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.errors import ConfigError
from syncd.settings import load_settings

BASE = {
    "SYNCD_INTIGRITI__CLIENT_ID": "client",
    "SYNCD_INTIGRITI__CLIENT_SECRET": "intigriti-secret-value",
    "SYNCD_JIRA__URL": "https://jira.example.test",
    "SYNCD_JIRA__PERSONAL_ACCESS_TOKEN": "jira-pat-value",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_nested_variables_fill_each_group(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SYNCD_SYNC__POLL_INTERVAL_SECONDS", "15")

    settings = load_settings()

    assert settings.intigriti.client_id == "client"
    assert settings.sync.poll_interval_seconds == 15.0
    assert settings.jira.url == "https://jira.example.test"


def test_a_malformed_value_names_its_variable(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SYNCD_SYNC__POLL_INTERVAL_SECONDS", "soon")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert "SYNCD_SYNC__POLL_INTERVAL_SECONDS" in str(raised.value)


def test_missing_credentials_name_the_group(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("SYNCD_JIRA__PERSONAL_ACCESS_TOKEN")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert "SYNCD_JIRA" in str(raised.value)
    assert "personal_access_token" in str(raised.value)


def test_an_unknown_variable_is_refused(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SYNCD_SYNC__POLL_INTERVAL", "5")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert "SYNCD_SYNC__POLL_INTERVAL" in str(raised.value)


def test_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    env_file = tmp_path / "syncd.env"
    env_file.write_text("\n".join(f"{k}={v}" for k, v in BASE.items()) + "\n")

    settings = load_settings(env_file=env_file)

    assert settings.intigriti.client_id == "client"


def test_a_missing_env_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env_file=tmp_path / "absent.env")


def test_secrets_directory_supplies_secrets(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment.delenv("SYNCD_INTIGRITI__CLIENT_SECRET")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "intigriti__client_secret").write_text("dir-secret")
    (secrets / "intigriti__client_id").write_text("from-dir")

    settings = load_settings(secrets_dir=secrets)

    assert settings.intigriti.client_id == "client"  # the environment wins
    assert settings.intigriti.client_secret is not None
    assert settings.intigriti.client_secret.get_secret_value() == "dir-secret"


def test_repr_shows_no_secret(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings()

    text = repr(settings) + str(settings)

    assert "intigriti-secret-value" not in text
    assert "jira-pat-value" not in text
