"""Settings: where they come from, and how a bad one is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.errors import ConfigError
from syncd.settings import load_settings, variable_name

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


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SYNCD_ATTACHMENTS__ALLOWED_HOSTS", "cdn.example.org"),
        ("SYNCD_ATTACHMENTS__ALLOWED_NETWORKS", "[10.0.0.0/8"),
    ],
)
def test_a_list_setting_that_is_not_json_names_its_variable(
    environment: pytest.MonkeyPatch, name: str, value: str
) -> None:
    environment.setenv(name, value)

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert f"{name}: not valid JSON" in str(raised.value)
    assert value not in str(raised.value)


def test_missing_credentials_name_the_group(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("SYNCD_JIRA__PERSONAL_ACCESS_TOKEN")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    message = str(raised.value)
    assert "SYNCD_JIRA: " in message
    assert "SYNCD_JIRA__EMAIL and SYNCD_JIRA__API_TOKEN" in message
    assert "or SYNCD_JIRA__PERSONAL_ACCESS_TOKEN" in message


def test_missing_intigriti_credentials_name_the_variables(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.delenv("SYNCD_INTIGRITI__CLIENT_SECRET")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert "SYNCD_INTIGRITI__CLIENT_SECRET" in str(raised.value)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SYNCD_JIRA__URL", "not-a-url", "http:// or https:// URL with a host"),
        ("SYNCD_JIRA__URL", "ftp://jira.example.test", "http:// or https://"),
        ("SYNCD_INTIGRITI__API_URL", "https://", "URL with a host"),
        ("SYNCD_INTIGRITI__TOKEN_URL", "login.example.test/token", "http://"),
        ("SYNCD_INTIGRITI__AUTHORIZE_URL", "", "http://"),
        ("SYNCD_INTIGRITI__WEB_URL", "app.intigriti.com", "http://"),
        ("SYNCD_INTIGRITI__REDIRECT_URI", "http:///callback", "URL with a host"),
        ("SYNCD_JIRA__PERSONAL_ACCESS_TOKEN", "", "must not be empty"),
        ("SYNCD_INTIGRITI__CLIENT_SECRET", "  ", "must not be empty"),
        ("SYNCD_WEBHOOKS__JIRA_SECRET", "", "must not be empty"),
        ("SYNCD_SYNC__POLL_INTERVAL_SECONDS", "inf", "finite number"),
        ("SYNCD_HTTP__READINESS_WINDOW_SECONDS", "nan", "finite number"),
        ("SYNCD_LIMITS__JIRA_REQUESTS_PER_SECOND", "inf", "finite number"),
        ("SYNCD_REDIS__URL", "http://redis.example", "redis://, rediss:// or unix://"),
        ("SYNCD_REDIS__URL", "", "must not be empty"),
    ],
)
def test_a_bad_value_is_refused_at_load_naming_its_variable(
    environment: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    environment.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        load_settings()

    [line] = str(raised.value).splitlines()[1:]
    assert line.strip().startswith(f"{variable}: ")
    assert expected in line


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@redis:6380/1", "unix:///r.sock"]
)
def test_every_redis_scheme_is_accepted(
    environment: pytest.MonkeyPatch, url: str
) -> None:
    environment.setenv("SYNCD_REDIS__URL", url)

    settings = load_settings()

    assert settings.redis.url.get_secret_value() == url


def test_a_bad_redis_url_does_not_repeat_its_password(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("SYNCD_REDIS__URL", "http://:hunter2-pass@redis.example")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert "hunter2-pass" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:hunter2-pass", "port"),  # "@host" forgotten: a port, to urllib
        ("redis://redis.example:notaport/0", "port"),
        ("redis://redis.example:99999/0", "port"),
        ("redis://redis.example/0?socket_timeout=abc", "options"),
        (" redis://redis.example/0", "redis://"),
        ("redis://redis.example/abc", "database"),
        ("redis://", "no host"),
    ],
)
def test_a_redis_url_redis_py_cannot_use_is_refused_without_quoting_it(
    environment: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    environment.setenv("SYNCD_REDIS__URL", url)

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert "SYNCD_REDIS__URL" in str(raised.value)
    assert expected in str(raised.value)
    for part in ("hunter2", "notaport", "99999", "abc"):
        assert part not in str(raised.value)


def test_an_unknown_variable_is_refused(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SYNCD_SYNC__POLL_INTERVAL", "5")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    assert "SYNCD_SYNC__POLL_INTERVAL" in str(raised.value)


def test_unknown_nested_keys_in_an_env_file_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    env_file = tmp_path / "syncd.env"
    lines = [f"{k}={v}" for k, v in BASE.items()]
    lines += ["SYNCD_SYNC__POLL_EVERY=5", "SYNCD_JIRA__URL__HOST=x", "SYNCD_FOO=1"]
    env_file.write_text("\n".join(lines) + "\n")

    with pytest.raises(ConfigError) as raised:
        load_settings(env_file=env_file)

    message = str(raised.value)
    assert message.endswith("SYNCD_FOO, SYNCD_JIRA__URL__HOST, SYNCD_SYNC__POLL_EVERY")
    assert "SYNCD_SYNCD_" not in message


def test_an_error_location_is_prefixed_once() -> None:
    assert variable_name(("syncd_foo",)) == "SYNCD_FOO"
    assert variable_name(("jira", "url")) == "SYNCD_JIRA__URL"


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
