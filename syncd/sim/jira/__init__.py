"""A local Jira (Cloud or Data Center) that enforces what real Jira enforces.

`create_app(config)` returns a Starlette app; serve it with
`syncd.sim.server.ServerThread`. `app.state.sim` is the `JiraSimStore`, whose
control methods mirror the `/_sim/` endpoints (see `routes_control`).
"""

from syncd.sim.jira.app import create_app
from syncd.sim.jira.config import Flavour, JiraSimConfig
from syncd.sim.jira.defaults import default_config
from syncd.sim.jira.store import JiraSimStore

__all__ = ["Flavour", "JiraSimConfig", "JiraSimStore", "create_app", "default_config"]
