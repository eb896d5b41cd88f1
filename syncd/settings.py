"""The one ``Settings`` object, built once at start-up and passed down.

Sources, strongest first: keyword arguments, ``SYNCD_*`` environment
variables (nested with ``__``, e.g. ``SYNCD_JIRA__URL``), the env file
(``.env`` or ``--env-file``), then files in the secrets directory (one file
per variable, as Kubernetes Secrets and systemd ``LoadCredential`` provide).
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from redis.connection import parse_url as parse_redis_url

from syncd.errors import ConfigError
from syncd.intigriti.enums import EnumTables

ENV_PREFIX = "SYNCD_"
NESTED_DELIMITER = "__"
DEFAULT_SECRETS_DIR = Path("/run/secrets/syncd")
# systemd's LoadCredential= puts each credential in this directory (systemd.exec(5)).
CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY"

IntigritiAuth = Literal["client_credentials", "refresh_token", "static"]
IntigritiApiVersion = Literal["v2.1", "v2.0", "v1.2"]
OnDeleted = Literal["report", "recreate"]
REDIS_SCHEMES = ("redis", "rediss", "unix")


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


def _not_empty(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise ValueError("must not be empty")
    return value


def _redis_url(value: SecretStr) -> SecretStr:
    # No message repeats the URL or any part of it: it may hold the Redis
    # password (``redis://:secret`` reads as a port named "secret").
    url = value.get_secret_value()
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES or url != url.strip():
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    try:
        options: dict[str, Any] = parse_redis_url(url)  # type: ignore[no-untyped-call]
    except ValueError:
        raise ValueError(
            "is not a valid Redis URL: check its port (a number up to 65535) "
            "and its ?options"
        ) from None
    if parts.scheme != "unix":
        if "host" not in options:
            raise ValueError("names no host (redis://host:6379/0)")
        if parts.path.strip("/") and "db" not in options:
            raise ValueError("has a database that is not a number (/0)")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""A URL syncd calls or sends a browser to: http(s) with a host."""
Secret = Annotated[SecretStr, AfterValidator(_not_empty)]
"""A secret: never logged, never empty."""
RedisUrl = Annotated[SecretStr, AfterValidator(_not_empty), AfterValidator(_redis_url)]


def _variable(group: str, name: str) -> str:
    return f"{ENV_PREFIX}{group}{NESTED_DELIMITER}{name}".upper()


class _Group(BaseModel):
    """A settings group; floats must be finite (``inf`` is no interval)."""

    model_config = ConfigDict(allow_inf_nan=False)


class IntigritiSettings(_Group):
    """Where the Intigriti External Company API is and how to log in."""

    api_url: HttpUrl = "https://api.intigriti.com/external"
    token_url: HttpUrl = "https://login.intigriti.com/connect/token"  # noqa: S105 - a URL
    authorize_url: HttpUrl = "https://login.intigriti.com/connect/authorize"
    api_version: IntigritiApiVersion = "v2.1"
    auth: IntigritiAuth = "client_credentials"
    client_id: str | None = None
    client_secret: Secret | None = None
    static_token: Secret | None = None
    scope: str = "company_external_api offline_access"
    redirect_uri: HttpUrl = "http://127.0.0.1:8765/callback"
    timeout_seconds: float = Field(default=30.0, gt=0)
    web_url: HttpUrl = "https://app.intigriti.com"
    enums: EnumTables = EnumTables()

    @model_validator(mode="after")
    def _credentials_fit_auth(self) -> IntigritiSettings:
        if self.auth == "static" and self.static_token is None:
            raise ValueError(
                f"auth 'static' needs static_token "
                f"(set {_variable('intigriti', 'static_token')})"
            )
        if self.auth in ("client_credentials", "refresh_token") and (
            self.client_id is None or self.client_secret is None
        ):
            raise ValueError(
                f"auth '{self.auth}' needs client_id and client_secret "
                f"(set {_variable('intigriti', 'client_id')} and "
                f"{_variable('intigriti', 'client_secret')})"
            )
        return self


class JiraSettings(_Group):
    """Where Jira is and which account syncd writes as."""

    url: HttpUrl
    email: str | None = None
    api_token: Secret | None = None
    personal_access_token: Secret | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    retry_attempts: int = Field(default=4, ge=1, le=20)
    """Tries of an idempotent request (read, PUT, upsert); creates: one."""
    retry_initial_seconds: float = Field(default=0.5, ge=0)
    retry_max_seconds: float = Field(default=30.0, ge=0)
    """Longest wait between tries; a longer Retry-After ends the retries."""

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> JiraSettings:
        cloud = self.email is not None and self.api_token is not None
        if not cloud and self.personal_access_token is None:
            raise ValueError(
                "set email and api_token (Cloud) or personal_access_token (DC): "
                f"{_variable('jira', 'email')} and {_variable('jira', 'api_token')}, "
                f"or {_variable('jira', 'personal_access_token')}"
            )
        return self


class RedisSettings(_Group):
    """The Redis that holds cursors, links, claims and the shared token."""

    url: RedisUrl = SecretStr("redis://127.0.0.1:6379/0")
    key_prefix: str = "syncd"
    socket_timeout_seconds: float = Field(default=5.0, gt=0)


class SyncSettings(_Group):
    """How the worker loop behaves."""

    mapping_file: Path = Path("mappings/default.yaml")
    poll_interval_seconds: float = Field(default=60.0, gt=0)
    overlap_seconds: int = Field(default=300, ge=0)
    concurrency: int = Field(default=8, ge=1, le=64)
    claim_ttl_seconds: int = Field(default=300, ge=1)
    """How long a create claim outlives a process killed while creating."""
    uncertain_create_settle_seconds: float = Field(default=60.0, ge=0)
    """After a create whose answer was lost, wait this long (longer than
    Jira's search index lags) before concluding no issue was made."""
    on_deleted: OnDeleted = "report"
    """A linked Jira issue a person deleted: quarantine the submission with
    the reason (``report``), or drop the link and create a new issue."""


class AttachmentSettings(_Group):
    """Report attachments copied to Jira, and the file hosts syncd may fetch.

    Links in reports are fetched without the Intigriti token, only from
    ``allowed_hosts`` (exact names, or ``*.example.net`` for any subdomain),
    and never from private, loopback, link-local or reserved addresses unless
    an ``allowed_networks`` entry (CIDR) names them.
    """

    enabled: bool = True
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    """Larger files are linked in a comment; Jira's own limit wins when lower."""
    allowed_hosts: tuple[str, ...] = ("*.intigriti.com",)
    allowed_schemes: tuple[Literal["https", "http"], ...] = ("https",)
    allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    max_redirects: int = Field(default=3, ge=0, le=10)
    timeout_seconds: float = Field(default=60.0, gt=0)


class LimitSettings(_Group):
    """Request rates shared through Redis by every syncd process; None is no cap.

    A ``Retry-After`` from either service pauses every process sharing the
    limiter, whether or not a rate is set.
    """

    jira_requests_per_second: float | None = Field(default=None, gt=0)
    intigriti_requests_per_second: float | None = Field(default=None, gt=0)
    burst: int = Field(default=1, ge=1)
    """Requests that may go at once after an idle spell."""


class BackfillSettings(_Group):
    """`syncd backfill`: importing the history."""

    concurrency: int = Field(default=32, ge=1, le=256)
    one_cpu: bool = True
    """Keep the run's threads on the CPU it starts on (see syncd/cpu.py)."""
    skip_closed: bool = False
    """Leave closed and archived submissions out instead of importing them."""
    progress_ttl_days: int = Field(default=30, ge=1)


class HttpSettings(_Group):
    """The operations server: health, readiness, metrics and webhooks."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    readiness_window_seconds: float = Field(default=300.0, gt=0)
    """Redis and both APIs must have answered within this window to be ready."""
    max_body_bytes: int = Field(default=1_048_576, gt=0)


class WebhookSettings(_Group):
    """Receivers that trigger an immediate sync; a receiver without a secret is off."""

    intigriti_secret: Secret | None = None
    jira_secret: Secret | None = None
    replay_window_seconds: int = Field(default=300, gt=0)
    """Deliveries whose ``createdAt`` is further than this from now are stale."""


class Settings(BaseSettings):
    """Everything syncd is told from outside."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        allow_inf_nan=False,
        secrets_dir=None,
    )

    intigriti: IntigritiSettings
    jira: JiraSettings
    redis: RedisSettings = RedisSettings()
    sync: SyncSettings = SyncSettings()
    http: HttpSettings = HttpSettings()
    limits: LimitSettings = LimitSettings()
    backfill: BackfillSettings = BackfillSettings()
    webhooks: WebhookSettings = WebhookSettings()
    attachments: AttachmentSettings = AttachmentSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # One file per variable, named without the prefix and nested with
        # "__" (``intigriti__client_secret``), as the README documents.
        secrets = NestedSecretsSettingsSource(
            file_secret_settings,
            secrets_prefix="",
            secrets_nested_delimiter=NESTED_DELIMITER,
            secrets_dir_missing="ok",
        )
        return init_settings, env_settings, dotenv_settings, secrets


def variable_name(location: tuple[int | str, ...]) -> str:
    """The variable a validation error's location stands for.

    An unknown key from the env file arrives with its prefix already on
    (``syncd_foo``); it is not prefixed twice.
    """
    path = NESTED_DELIMITER.join(str(part) for part in location).upper()
    return path if path.startswith(ENV_PREFIX) else f"{ENV_PREFIX}{path}"


def default_secrets_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """systemd's ``$CREDENTIALS_DIRECTORY`` when set, else /run/secrets/syncd."""
    credentials = (os.environ if environ is None else environ).get(
        CREDENTIALS_DIRECTORY
    )
    if credentials:
        return Path(credentials)
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None


def _known_variables(model: type[BaseModel], prefix: str) -> Iterable[str]:
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name}".upper()
        yield variable
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _known_variables(annotation, variable + NESTED_DELIMITER)


def unknown_variables(names: Iterable[str]) -> list[str]:
    """SYNCD_* names that match no setting: usually a typo worth stopping for."""
    known = set(_known_variables(Settings, ENV_PREFIX))
    nested_groups = {name + NESTED_DELIMITER for name in known}
    return sorted(
        name
        for name in {name.upper() for name in names}
        if name.startswith(ENV_PREFIX)
        and name not in known
        # A field holding a free-form table (e.g. enum ids) takes any sub-key.
        and not any(
            name.startswith(group) and group[:-2] in _TABLE_VARIABLES
            for group in nested_groups
        )
    )


_TABLE_VARIABLES = {"SYNCD_INTIGRITI__ENUMS"}


def _env_file_names(env_file: Path | None) -> Mapping[str, Any]:
    path = env_file or Path(".env")
    return dotenv_values(path) if path.is_file() else {}


def _unparsable(error: SettingsError, env_file: Path | None) -> str:
    """A value pydantic-settings could not decode (list and table settings
    are JSON): the variables it may be, without their values."""
    found = re.search(r'field "(\w+)"', str(error))
    group = f"{ENV_PREFIX}{found.group(1).upper()}" if found else ENV_PREFIX
    values = {**_env_file_names(env_file), **os.environ}
    suspects = sorted(
        name.upper()
        for name, value in values.items()
        if name.upper().startswith(group)
        and isinstance(value, str)
        and _is_structured(name.upper())
        and not _is_json(value)
    )
    names = ", ".join(suspects) or f"a {group}* variable"
    return (
        f"invalid settings: {names}: not valid JSON; list and table settings "
        """take JSON, e.g. '["files.example.com"]'"""
    )


def _is_structured(name: str) -> bool:
    """Whether the setting ``name`` holds a list, set or table."""
    model: Any = Settings
    parts = name.removeprefix(ENV_PREFIX).lower().split(NESTED_DELIMITER)
    for part in parts:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return False
        model = field.annotation
    kinds = typing.get_args(model) if isinstance(model, types.UnionType) else (model,)
    structured = (list, tuple, set, frozenset, dict)
    return any((typing.get_origin(kind) or kind) in structured for kind in kinds)


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def load_settings(
    env_file: Path | None = None,
    secrets_dir: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build the Settings, or raise ConfigError naming each bad variable."""
    if env_file is not None and not env_file.is_file():
        raise ConfigError(f"env file {env_file} does not exist")
    if secrets_dir is None:
        secrets_dir = default_secrets_dir()
    unknown = unknown_variables([*os.environ, *_env_file_names(env_file)])
    if unknown:
        raise ConfigError(
            "unknown settings (check the spelling against the README): "
            + ", ".join(unknown)
        )

    try:
        return Settings(
            _env_file=env_file or ".env",
            _secrets_dir=secrets_dir,
            **overrides,
        )
    except SettingsError as exc:
        raise ConfigError(_unparsable(exc, env_file)) from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = variable_name(error["loc"])
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("invalid settings:\n  " + "\n  ".join(problems)) from None
