"""Request rates shared by every syncd process, through Redis.

One ``SharedLimiter`` per remote service (one per Jira site, one for
Intigriti). Before each request a worker calls ``acquire``; after a 429 (or a
503 with ``Retry-After``) it calls ``pause``, and every worker of every
process sharing the limiter waits until the service's time is up.

The rate is a GCRA (generic cell rate algorithm) in one Lua script: Redis
keeps a single "theoretical arrival time" per limiter, so the state is one
key, updates are atomic, and Redis's own clock is the only clock (workers on
several hosts may disagree about the time). Libraries such as ``limits``
answer "allowed or not" per fixed or moving window; syncd needs "how long to
wait" (to sleep exactly that long rather than poll) and the shared pause, which
is the same script's other key. Twenty lines of Lua were the smaller thing.

Keys (under the prefix ``P``)::

    P:ratelimit:<name>:tat     string microseconds: the next free slot
    P:ratelimit:<name>:pause   string microseconds: no request before this
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis
import structlog

from syncd.intigriti.client import IntigritiClient
from syncd.intigriti.throttle import limiter_hooks
from syncd.jira.client import JiraClient
from syncd.jira.throttle import install_limiter
from syncd.settings import LimitSettings

log = structlog.get_logger("syncd.ratelimit")

MAX_PAUSE_SECONDS = 3600.0
"""A ``Retry-After`` longer than this is a broken header, not a plan."""
PAUSE_CHECK_SECONDS = 0.25
"""How stale a process's view of another process's pause may be (no rate)."""

# Returns the microseconds to wait; 0 means "go" (and the slot is taken).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
local interval = tonumber(ARGV[1])
if interval <= 0 then return 0 end
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return allowed_at - now end
local ttl = math.ceil((tat + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', ttl)
return 0
"""

# Moves the pause forward only: a shorter Retry-After never shortens a wait.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > paused then
  local ttl = math.ceil((until_ - now) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', ttl)
end
return 0
"""


class SharedLimiter:
    """A request rate and a pause shared by every process using ``name``."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        name: str,
        per_second: float | None,
        *,
        burst: int = 1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self._redis = client
        self._keys = [
            f"{prefix}:ratelimit:{name}:tat",
            f"{prefix}:ratelimit:{name}:pause",
        ]
        self._interval_us = 0 if per_second is None else round(1e6 / per_second)
        self._burst = burst
        self._sleep = sleep
        self._acquire: Any = client.register_script(_ACQUIRE)
        self._pause: Any = client.register_script(_PAUSE)
        self._clear_until = 0.0  # no pause seen in Redis before this
        self._generation = 0  # bumped by each pause this process sets

    def acquire(self) -> float:
        """Block until a request may go; the seconds waited.

        With no rate set only the shared pause matters: it is read from
        Redis at most every ``PAUSE_CHECK_SECONDS`` per process (a pause
        this process sets itself is seen at once).
        """
        if self._interval_us == 0 and time.monotonic() < self._clear_until:
            return 0.0
        waited = 0.0
        while True:
            generation = self._generation
            wait_us = int(
                self._acquire(keys=self._keys, args=[self._interval_us, self._burst])
            )
            if wait_us <= 0:
                if generation == self._generation:  # no pause set meanwhile
                    self._clear_until = time.monotonic() + PAUSE_CHECK_SECONDS
                return waited
            seconds = wait_us / 1e6
            self._sleep(seconds)
            waited += seconds

    def pause(self, seconds: float) -> None:
        """Hold every worker sharing this limiter for ``seconds`` from now."""
        seconds = min(max(seconds, 0.0), MAX_PAUSE_SECONDS)
        if seconds == 0:
            return
        log.warning("ratelimit.paused", limiter=self.name, seconds=round(seconds, 3))
        self._pause(keys=self._keys[1:], args=[round(seconds * 1e6)])
        self._generation += 1
        self._clear_until = 0.0


def install_limiters(
    limits: LimitSettings,
    client: redis.Redis,
    prefix: str,
    *,
    intigriti: IntigritiClient,
    intigriti_url: str,
    jira: JiraClient,
    jira_url: str,
    pool_size: int,
) -> tuple[SharedLimiter, SharedLimiter]:
    """Put one shared limiter on each client: per Jira site, and Intigriti's."""
    intigriti_limiter = SharedLimiter(
        client,
        prefix,
        f"intigriti:{_host(intigriti_url)}",
        limits.intigriti_requests_per_second,
        burst=limits.burst,
    )
    intigriti.add_event_hooks(limiter_hooks(intigriti_limiter))
    jira_limiter = SharedLimiter(
        client,
        prefix,
        f"jira:{_host(jira_url)}",
        limits.jira_requests_per_second,
        burst=limits.burst,
    )
    install_limiter(jira, jira_limiter, pool_size)
    return intigriti_limiter, jira_limiter


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
