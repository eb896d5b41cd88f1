"""Start both simulators together, for ``syncd simulate`` and the demo.

``Simulators`` owns two loopback servers and knows the settings that point
syncd at them, so a second terminal can run syncd with the env file it
writes.
"""

from __future__ import annotations

import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from syncd.sim.intigriti import IntigritiSimConfig, IntigritiStore
from syncd.sim.intigriti import create_app as create_intigriti_app
from syncd.sim.jira import JiraSimStore, default_config
from syncd.sim.jira import create_app as create_jira_app
from syncd.sim.jira.config import Flavour
from syncd.sim.redis_server import RedisServer
from syncd.sim.server import ServerThread, free_port

BOT = "syncd-bot"


@dataclass
class Simulators:
    """Both simulators, running; their stores for direct inspection."""

    intigriti_url: str
    jira_url: str
    intigriti: IntigritiStore
    jira: JiraSimStore
    intigriti_config: IntigritiSimConfig
    jira_flavour: Flavour

    def settings_env(
        self, redis_url: str, mapping_file: Path | None = None
    ) -> dict[str, str]:
        """The SYNCD_* variables that point syncd at these simulators."""
        bot = self.jira.config.user(BOT)
        env = {
            "SYNCD_INTIGRITI__API_URL": f"{self.intigriti_url}/external",
            "SYNCD_INTIGRITI__TOKEN_URL": f"{self.intigriti_url}/connect/token",
            "SYNCD_INTIGRITI__AUTHORIZE_URL": (
                f"{self.intigriti_url}/connect/authorize"
            ),
            "SYNCD_INTIGRITI__AUTH": "client_credentials",
            "SYNCD_INTIGRITI__CLIENT_ID": self.intigriti_config.client_id,
            "SYNCD_INTIGRITI__CLIENT_SECRET": (
                self.intigriti_config.client_secret.get_secret_value()
            ),
            "SYNCD_INTIGRITI__WEB_URL": self.intigriti_config.portal_url,
            "SYNCD_JIRA__URL": self.jira_url,
            "SYNCD_REDIS__URL": redis_url,
            # The simulator serves attachment links from loopback over http.
            "SYNCD_ATTACHMENTS__ALLOWED_HOSTS": '["127.0.0.1"]',
            "SYNCD_ATTACHMENTS__ALLOWED_SCHEMES": '["http", "https"]',
            "SYNCD_ATTACHMENTS__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
            # Loopback answers in milliseconds: retry Jira reads and PUTs soon.
            "SYNCD_JIRA__RETRY_INITIAL_SECONDS": "0.05",
            "SYNCD_JIRA__RETRY_MAX_SECONDS": "2",
        }
        if self.jira_flavour is Flavour.CLOUD:
            env["SYNCD_JIRA__EMAIL"] = bot.email
            env["SYNCD_JIRA__API_TOKEN"] = bot.api_token
        else:
            env["SYNCD_JIRA__PERSONAL_ACCESS_TOKEN"] = bot.pat
        if mapping_file is not None:
            env["SYNCD_SYNC__MAPPING_FILE"] = str(mapping_file)
        return env

    def jira_writes(self) -> int:
        """Write requests the Jira simulator has answered so far."""
        return sum(
            1
            for entry in self.jira.requests()
            if entry["method"] in {"POST", "PUT", "DELETE"}
            and not str(entry["path"]).startswith("/_sim")
        )


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """Write settings as an env file readable only by its owner."""
    lines = [f"{name}={value}" for name, value in sorted(env.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


@contextmanager
def running_simulators(
    *,
    seed: int,
    submissions: int,
    jira_flavour: str = "cloud",
    intigriti_port: int = 0,
    jira_port: int = 0,
    intigriti_config: IntigritiSimConfig | None = None,
) -> Iterator[Simulators]:
    """Start both simulators on loopback; stop them with the context."""
    flavour = Flavour(jira_flavour)
    intigriti_config = intigriti_config or IntigritiSimConfig(
        seed=seed, size=submissions
    )
    jira_port = jira_port or free_port()
    jira_config = default_config(flavour).model_copy(
        update={"base_url": f"http://127.0.0.1:{jira_port}"}
    )
    intigriti_app = create_intigriti_app(intigriti_config)
    jira_app = create_jira_app(jira_config)
    with (
        ServerThread(intigriti_app, intigriti_port) as intigriti_server,
        ServerThread(jira_app, jira_port) as jira_server,
    ):
        yield Simulators(
            intigriti_url=intigriti_server.url,
            jira_url=jira_server.url,
            intigriti=intigriti_app.state.sim,
            jira=jira_app.state.sim,
            intigriti_config=intigriti_config,
            jira_flavour=flavour,
        )


def serve_until_stopped(
    *,
    seed: int,
    submissions: int,
    jira_flavour: str,
    intigriti_port: int,
    jira_port: int,
    env_file: Path | None,
    with_redis: bool,
    echo: Callable[[str], None],
) -> None:
    """``syncd simulate``: run until Ctrl-C or SIGTERM, printing how to reach
    everything; either way the servers and the private Redis are stopped."""
    stop = threading.Event()
    with ExitStack() as stack:
        stack.enter_context(_stop_on_sigterm(stop))
        sims = stack.enter_context(
            running_simulators(
                seed=seed,
                submissions=submissions,
                jira_flavour=jira_flavour,
                intigriti_port=intigriti_port,
                jira_port=jira_port,
            )
        )
        redis_url = "redis://127.0.0.1:6379/0"
        if with_redis:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            redis_url = stack.enter_context(RedisServer(workdir)).url
        env = sims.settings_env(redis_url)

        programs = len(sims.intigriti.programs())
        echo(f"Intigriti simulator: {sims.intigriti_url}")
        echo(f"  {submissions} submissions over {programs} programs (seed {seed})")
        echo(f"  client id {sims.intigriti_config.client_id}")
        echo(f"Jira simulator ({sims.jira_flavour.value}): {sims.jira_url}")
        echo(f"Redis: {redis_url}")
        echo("Settings for syncd:")
        for name, value in sorted(env.items()):
            echo(f"  {name}={value}")
        if env_file is not None:
            write_env_file(env_file, env)
            echo(f"Wrote {env_file}; run: syncd sync --env-file {env_file}")
        echo("Press Ctrl-C to stop.")
        with suppress(KeyboardInterrupt):
            stop.wait()
        echo("Stopping the simulators.")


@contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """Let SIGTERM end the wait as Ctrl-C does, so the ExitStack unwinds.

    Without it SIGTERM kills the process outright and the redis-server child
    outlives it.
    """

    # Runs between two bytecodes of the main thread: it only sets the event.
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
