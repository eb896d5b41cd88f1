"""A local simulator of Intigriti's External Company API.

`create_app(config)` builds a Starlette app that serves the OAuth2 login
endpoints, the v2.1 / v2 / v1.2 company API paths, signed attachment links
and a `/_sim/` control API; its `IntigritiStore` is at `app.state.sim`.
Serve it with `syncd.sim.server.ServerThread`.
"""

from __future__ import annotations

from .app import create_app
from .config import Enumeration, EnumTables, IntigritiSimConfig
from .faults import FaultSettings
from .model import Corpus
from .store import IntigritiStore

__all__ = [
    "Corpus",
    "EnumTables",
    "Enumeration",
    "FaultSettings",
    "IntigritiSimConfig",
    "IntigritiStore",
    "create_app",
]
