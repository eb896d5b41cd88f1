"""Wiring: build every part of syncd from one Settings object.

The entry point calls ``open_runtime`` once; everything below receives what
it needs as arguments, and nothing reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import redis
import structlog

from syncd.attachment_records import AttachmentRecords
from syncd.attachments import AttachmentSync
from syncd.engine import Engine, ErrorRecorder
from syncd.errors import ConfigError, SyncdError
from syncd.intigriti.client import IntigritiClient
from syncd.intigriti.files import FileFetcher
from syncd.intigriti.login import login_with_pkce
from syncd.intigriti.tokens import TokenProvider
from syncd.jira.client import JiraClient
from syncd.mapping.loader import load_mapping
from syncd.mapping.models import Mapping
from syncd.ratelimit import install_limiters
from syncd.settings import Settings
from syncd.state import State, connect_redis
from syncd.status_sync import StatusSync, mapping_projects

log = structlog.get_logger("syncd.runtime")


@dataclass
class Runtime:
    """Everything a running syncd holds, closed together."""

    settings: Settings
    redis: redis.Redis
    state: State
    tokens: TokenProvider
    intigriti: IntigritiClient
    jira: JiraClient
    mapping: Mapping
    engine: Engine


@contextmanager
def open_runtime(
    settings: Settings, errors: ErrorRecorder | None = None
) -> Iterator[Runtime]:
    """Validate the mapping, connect Redis, Intigriti and Jira; close on exit.

    ``errors`` counts per-submission failures (the metrics of ``syncd run``).

    The order fails fast on what a person must fix (mapping, Redis) before
    touching the remote services.
    """
    mapping = load_mapping(settings.sync.mapping_file)
    with ExitStack() as stack:
        client = connect_redis(settings.redis)
        stack.callback(client.close)
        prefix = settings.redis.key_prefix
        tokens = TokenProvider(settings.intigriti, client, prefix)
        stack.callback(tokens.close)
        intigriti = IntigritiClient(settings.intigriti, tokens)
        stack.callback(intigriti.close)
        jira = JiraClient.connect(settings.jira)
        stack.callback(jira.close)
        install_limiters(
            settings.limits,
            client,
            prefix,
            intigriti=intigriti,
            intigriti_url=settings.intigriti.api_url,
            jira=jira,
            jira_url=settings.jira.url,
            pool_size=max(settings.sync.concurrency, settings.backfill.concurrency),
        )
        state = State(client, prefix)
        # Before the client closes: claims Redis did not answer, given up.
        stack.callback(state.owed.settle)
        attachments = None
        if settings.attachments.enabled:
            files = FileFetcher(settings.attachments)
            stack.callback(files.close)
            attachments = AttachmentSync(
                source=intigriti,
                tracker=jira,
                files=files,
                records=AttachmentRecords(client, prefix, state.owed),
                max_bytes=settings.attachments.max_bytes,
            )
        status = None
        if mapping.status is not None:
            status = StatusSync(
                source=intigriti,
                tracker=jira,
                mapping=mapping.status,
                state=state,
                tables=settings.intigriti.enums,
                projects=mapping_projects(mapping),
                overlap_seconds=settings.sync.overlap_seconds,
                claim_ttl_seconds=settings.sync.claim_ttl_seconds,
                concurrency=settings.sync.concurrency,
            )

        engine = Engine(
            source=intigriti,
            tracker=jira,
            mapping=mapping,
            state=state,
            tables=settings.intigriti.enums,
            overlap_seconds=settings.sync.overlap_seconds,
            concurrency=settings.sync.concurrency,
            claim_ttl_seconds=settings.sync.claim_ttl_seconds,
            settle_seconds=settings.sync.uncertain_create_settle_seconds,
            on_deleted=settings.sync.on_deleted,
            status=status,
            attachments=attachments,
            errors=errors,
        )
        log.info(
            "runtime.ready",
            jira_flavour=jira.flavour.value,
            intigriti_api=settings.intigriti.api_version,
        )
        yield Runtime(
            settings=settings,
            redis=client,
            state=state,
            tokens=tokens,
            intigriti=intigriti,
            jira=jira,
            mapping=mapping,
            engine=engine,
        )


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _attempt(name: str, step: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, step())
    except SyncdError as exc:
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}")


def run_checks(settings: Settings) -> list[CheckResult]:
    """What `syncd check` prints: each part tried on its own."""
    results = [CheckResult("settings", True, "loaded")]
    results.append(
        _attempt(
            "mapping",
            lambda: (
                f"{settings.sync.mapping_file} "
                f"({len(load_mapping(settings.sync.mapping_file).rules)} rules)"
            ),
        )
    )
    try:
        client = connect_redis(settings.redis)
    except ConfigError as exc:
        results.append(CheckResult("redis", False, str(exc)))
        return results
    results.append(CheckResult("redis", True, "PING answered"))

    with ExitStack() as stack:
        stack.callback(client.close)
        tokens = TokenProvider(settings.intigriti, client, settings.redis.key_prefix)
        stack.callback(tokens.close)
        token = _attempt(
            "intigriti token",
            lambda: (
                f"{settings.intigriti.auth}: token obtained "
                f"({len(tokens.verify_credentials())} characters)"
            ),
        )
        results.append(token)
        intigriti = IntigritiClient(settings.intigriti, tokens)
        stack.callback(intigriti.close)
        results.append(
            _attempt(
                "intigriti api",
                lambda: (
                    f"{settings.intigriti.api_version}: "
                    f"{len(intigriti.list_programs())} programs readable"
                ),
            )
            if token.ok
            # Not with the token Redis may still hold: it would hide the fault.
            else CheckResult("intigriti api", False, "not tried: no token")
        )
        results.append(_attempt("jira", lambda: _check_jira(settings)))
    return results


def _check_jira(settings: Settings) -> str:
    with JiraClient.connect(settings.jira) as jira:
        account = jira.myself()
        return f"{jira.flavour.value} at {settings.jira.url}, logged in as {account}"


def login(settings: Settings, open_url: Callable[[str], None]) -> None:
    """`syncd auth login`: the one interactive step of the v2 flow."""
    client = connect_redis(settings.redis)
    try:
        login_with_pkce(
            settings.intigriti,
            client,
            open_url,
            key_prefix=settings.redis.key_prefix,
        )
    finally:
        client.close()
