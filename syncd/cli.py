"""The ``syncd`` command line.

Exit codes: 0 success, 1 a check or sync reported failures, 2 usage or
configuration error (click's own convention for usage errors).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from syncd.errors import ConfigError, SyncdError
from syncd.intigriti.enums import SubmissionStatus
from syncd.logs import configure_logging
from syncd.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CONFIG = 2
EXIT_FAILED = 1


def env_file_option(command: F) -> F:
    """Every command reads settings from ``--env-file PATH`` when given."""
    return click.option(
        "--env-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Read SYNCD_* settings from this file (as written by `syncd simulate`).",
    )(command)


def _settings(env_file: Path | None) -> Settings:
    settings = load_settings(env_file=env_file)  # ConfigError: exit 2
    configure_logging(settings.log_level, settings.log_format)
    return settings


class _ConfigAware(click.Group):
    """Turn syncd's own errors into one clear line and an exit code.

    A ConfigError (something a person must fix) exits 2; any other
    SyncdError (a service refused or is away) exits 1. Messages name ids,
    fields and status codes, never report content or secrets.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_CONFIG)
        except SyncdError as exc:
            click.echo(f"Error: {type(exc).__name__}: {exc}", err=True)
            ctx.exit(EXIT_FAILED)


@click.group(cls=_ConfigAware)
@click.version_option(package_name="syncd")
def main() -> None:
    """Keep Intigriti submissions and Jira issues in step."""


def _seconds(
    ctx: click.Context, param: click.Parameter, value: float | None
) -> float | None:
    # click's FloatRange lets nan through: nan compares false with its bound.
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter("must be a number of seconds above 0")
    return value


@main.command()
@env_file_option
@click.option(
    "--interval",
    type=float,
    default=None,
    callback=_seconds,
    help="Seconds between cycles.",
)
@click.option(
    "--max-cycles",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after N cycles.",
)
def run(env_file: Path | None, interval: float | None, max_cycles: int | None) -> None:
    """Run the sync loop until SIGTERM or SIGINT, with the operations server."""
    from syncd.ops.notify import Notifier
    from syncd.ops.wiring import Operations
    from syncd.runtime import open_runtime
    from syncd.worker import ItemSyncer, install_stop_handlers, run_forever

    settings = _settings(env_file)
    stop = threading.Event()
    install_stop_handlers(stop)
    # The systemd protocol's own variables, not settings: read here, once.
    notifier = Notifier.from_environ(os.environ)
    ops = Operations(settings, notifier)
    try:
        with open_runtime(settings, ops.metrics) as runtime, ops.serving(runtime):
            notifier.ready()
            run_forever(
                runtime.engine,
                interval_seconds=(
                    settings.sync.poll_interval_seconds
                    if interval is None
                    else interval
                ),
                stop=stop,
                max_cycles=max_cycles,
                triggers=ops.triggers,
                sync_item=ItemSyncer(runtime.engine),
                observer=ops,
            )
    finally:
        notifier.stopping()


@main.command()
@env_file_option
@click.option(
    "--once", is_flag=True, help="Accepted for compatibility: sync always runs once."
)
@click.option("--full", is_flag=True, help="Ignore the cursor: look at everything.")
@click.option(
    "--retry-quarantined",
    is_flag=True,
    help="With --full: release every quarantined submission first, so the pass "
    "tries them again (after fixing the mapping).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def sync(
    env_file: Path | None,
    once: bool,
    full: bool,
    retry_quarantined: bool,
    as_json: bool,
) -> None:
    """Run one sync cycle and print what it did (`syncd run` is the loop)."""
    from syncd.runtime import open_runtime

    if retry_quarantined and not full:
        # Quarantined submissions lie behind the cursor: only a full pass sees them.
        raise click.UsageError("--retry-quarantined needs --full")
    settings = _settings(env_file)
    with open_runtime(settings) as runtime:
        if retry_quarantined:
            released = runtime.state.release_all_quarantine()
            click.echo(f"Released {released} quarantined submission(s).", err=True)
        report = runtime.engine.run_cycle(full=full)
    if as_json:
        click.echo(json.dumps({**report.as_dict(), "created_issues": report.created}))
    else:
        for name, value in report.as_dict().items():
            click.echo(f"{name:>12}: {value}")
    if report.failures():
        raise SystemExit(1)


@main.group()
def dlq() -> None:
    """List, retry or drop quarantined submissions (the dead letters)."""


def _chosen_codes(command: F) -> F:
    """``CODE...`` or ``--all``: the quarantined submissions to act on."""
    command = click.option(
        "--all", "every", is_flag=True, help="Every quarantined submission."
    )(command)
    return click.argument("codes", nargs=-1)(command)


def _check_choice(codes: tuple[str, ...], every: bool) -> None:
    if bool(codes) == every:
        raise click.UsageError("name submission codes or give --all (not both)")


@dlq.command("list")
@env_file_option
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
def dlq_list(env_file: Path | None, as_json: bool) -> None:
    """Show each quarantined submission: code, error, when, version, reason."""
    from syncd.commands.dlq import open_state, records_json, records_text

    settings = _settings(env_file)
    with open_state(settings) as state:
        records = state.quarantined()
    click.echo(records_json(records) if as_json else records_text(records))


@dlq.command("retry")
@env_file_option
@_chosen_codes
def dlq_retry(env_file: Path | None, codes: tuple[str, ...], every: bool) -> None:
    """Release quarantined submissions and sync each one now."""
    from syncd.commands.dlq import SUCCEEDED, retry, select
    from syncd.runtime import open_runtime

    _check_choice(codes, every)
    settings = _settings(env_file)
    with open_runtime(settings) as runtime:
        chosen, missing = select(runtime.state, codes, every)
        results = retry(runtime.engine, runtime.state, chosen)
    if not chosen and not missing:
        click.echo("No quarantined submissions.")
    for _, line in results:
        click.echo(line)
    for code in missing:
        click.echo(f"{code}: not quarantined", err=True)
    if missing or any(outcome not in SUCCEEDED for outcome, _ in results):
        raise SystemExit(1)


@dlq.command("drop")
@env_file_option
@_chosen_codes
def dlq_drop(env_file: Path | None, codes: tuple[str, ...], every: bool) -> None:
    """Release quarantined submissions without syncing them.

    Each is tried again when it next changes, or by `syncd sync --full`.
    """
    from syncd.commands.dlq import drop, open_state, select

    _check_choice(codes, every)
    settings = _settings(env_file)
    with open_state(settings) as state:
        chosen, missing = select(state, codes, every)
        lines = drop(state, chosen)
    if not chosen and not missing:
        click.echo("No quarantined submissions.")
    for line in lines:
        click.echo(line)
    for code in missing:
        click.echo(f"{code}: not quarantined", err=True)
    if missing:
        raise SystemExit(1)


@main.command()
@env_file_option
@click.option("--program", "programs", multiple=True, help="Program id or handle.")
@click.option("--since", type=click.DateTime(), help="Created at or after (UTC).")
@click.option("--until", type=click.DateTime(), help="Created before (UTC).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([status.value for status in SubmissionStatus]),
)
@click.option("--skip-closed", is_flag=True, help="Leave closed/archived out.")
@click.option("--dry-run", is_flag=True, help="Print what would be written.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def backfill(
    env_file: Path | None,
    programs: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    statuses: tuple[str, ...],
    skip_closed: bool,
    dry_run: bool,
    concurrency: int | None,
    as_json: bool,
) -> None:
    """Import historical submissions; resumable, and safe to run again.

    SIGTERM or Ctrl-C stops taking submissions, finishes and records the ones
    in hand, prints the report and exits 0 (1 if one failed); a second signal
    exits at once with 130. A later run with the same filters resumes.
    """
    from syncd.backfill import Filters, render_text, report_json, run_backfill
    from syncd.worker import install_stop_handlers

    if since is not None and until is not None and since >= until:
        raise click.BadParameter(
            f"--since {since:%Y-%m-%d %H:%M:%S} is not before --until "
            f"{until:%Y-%m-%d %H:%M:%S}: no submission could match",
            param_hint="'--since' / '--until'",
        )
    settings = _settings(env_file)
    filters = Filters(
        programs=programs,
        since=None if since is None else since.replace(tzinfo=UTC),
        until=None if until is None else until.replace(tzinfo=UTC),
        statuses=frozenset(SubmissionStatus(status) for status in statuses),
        skip_closed=skip_closed or settings.backfill.skip_closed,
    )
    stop = threading.Event()
    install_stop_handlers(stop)
    report = run_backfill(
        settings,
        filters,
        dry_run=dry_run,
        concurrency=concurrency,
        stop=stop,
        echo=click.echo,
    )
    click.echo(report_json(report) if as_json else render_text(report))
    if report.failed():
        raise SystemExit(1)


@main.command()
@env_file_option
def check(env_file: Path | None) -> None:
    """Check settings, mapping, Intigriti, Jira and Redis; print what is fine."""
    from syncd.runtime import run_checks

    settings = _settings(env_file)
    results = run_checks(settings)
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"[{mark}] {result.name}: {result.detail}")
    if not all(result.ok for result in results):
        raise SystemExit(1)


@main.group()
def auth() -> None:
    """Log in to Intigriti."""


@auth.command()
@env_file_option
def login(env_file: Path | None) -> None:
    """Run the authorization-code flow once and store the refresh token."""
    from syncd.runtime import login as run_login

    settings = _settings(env_file)
    run_login(settings, open_url=lambda url: click.echo(f"Open this URL:\n  {url}"))
    click.echo("Logged in; the refresh token is stored in Redis.")


@main.group()
def mapping() -> None:
    """Validate and preview mapping files."""


@mapping.command("check")
@env_file_option
@click.option(
    "--offline",
    is_flag=True,
    help="Only validate the files; do not read Jira's metadata (for CI).",
)
@click.argument(
    "files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def mapping_check(
    env_file: Path | None, offline: bool, files: tuple[Path, ...]
) -> None:
    """Validate mapping files (the configured one when none is named).

    With Jira configured and without --offline, also check them against
    Jira's metadata: projects, issue types, create screens, options.
    """
    from syncd.commands.mapping import check_report, connect_jira

    settings: Settings | None = None
    if not offline or not files:
        try:
            settings = load_settings(env_file=env_file)
        except ConfigError as exc:
            if not files:
                raise click.ClickException(str(exc)) from None
            click.echo(f"Jira is not configured, checking offline ({exc})", err=True)
    if not files:
        assert settings is not None
        files = (settings.sync.mapping_file,)

    jira = None
    if settings is not None and not offline:
        configure_logging(settings.log_level, settings.log_format)
        jira, why = connect_jira(settings)
        if jira is None:
            click.echo(f"[FAIL] Jira: {why} (use --offline to skip)")
            raise SystemExit(1)
    try:
        ok, text = check_report(files, jira)
    finally:
        if jira is not None:
            jira.close()
    click.echo(text)
    if not ok:
        raise SystemExit(1)


@mapping.command("preview")
@env_file_option
@click.argument("code")
@click.option(
    "--flavour",
    type=click.Choice(["cloud", "datacenter", "both"]),
    default="both",
    show_default=True,
)
@click.option(
    "--file",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Mapping file (default: the configured one).",
)
def mapping_preview(
    env_file: Path | None, code: str, flavour: str, mapping_file: Path | None
) -> None:
    """Print the Jira create payload of one submission; write nothing."""
    from syncd.commands.mapping import connect_jira, fetch_submission, preview
    from syncd.jira.models import Flavour
    from syncd.mapping.loader import load_mapping

    settings = _settings(env_file)
    mapping = load_mapping(mapping_file or settings.sync.mapping_file)
    submission = fetch_submission(settings, code)
    flavours = list(Flavour) if flavour == "both" else [Flavour(flavour)]
    jira, why = connect_jira(settings)
    if jira is None:
        click.echo(f"Jira unreachable, fields by name: {why}", err=True)
    try:
        payloads = preview(submission, mapping, flavours, settings, jira)
    finally:
        if jira is not None:
            jira.close()
    click.echo(json.dumps(payloads, indent=2, ensure_ascii=False))


@mapping.command("schema")
def mapping_schema() -> None:
    """Print the JSON Schema of mapping files (mappings/schema.json)."""
    from syncd.commands.mapping import schema_text

    click.echo(schema_text(), nl=False)


@main.command()
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--submissions", type=int, default=200, show_default=True)
@click.option(
    "--jira-flavour",
    type=click.Choice(["cloud", "datacenter"]),
    default="cloud",
    show_default=True,
)
@click.option("--intigriti-port", type=int, default=0, help="0 picks a free port.")
@click.option("--jira-port", type=int, default=0, help="0 picks a free port.")
@click.option(
    "--redis/--no-redis",
    "with_redis",
    default=True,
    show_default=True,
    help="Also start a private redis-server on a free loopback port.",
)
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the SYNCD_* settings that point syncd at the simulators here.",
)
def simulate(
    seed: int,
    submissions: int,
    jira_flavour: str,
    intigriti_port: int,
    jira_port: int,
    with_redis: bool,
    env_file: Path | None,
) -> None:
    """Start the Intigriti and Jira simulators on loopback until Ctrl-C or SIGTERM."""
    from syncd.sim.runner import serve_until_stopped

    configure_logging("WARNING", "console")
    serve_until_stopped(
        seed=seed,
        submissions=submissions,
        jira_flavour=jira_flavour,
        intigriti_port=intigriti_port,
        jira_port=jira_port,
        env_file=env_file,
        with_redis=with_redis,
        echo=click.echo,
    )


@main.command()
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--submissions", type=int, default=240, show_default=True)
@click.option("--cycles", type=int, default=3, show_default=True)
def demo(seed: int, submissions: int, cycles: int) -> None:
    """Run the main job end to end on the bundled simulators."""
    from syncd.demo import DemoError, run_demo

    try:
        run_demo(seed=seed, submissions=submissions, cycles=cycles)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
