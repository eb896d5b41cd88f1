"""Token buckets behind Jira Cloud's 429s.

Two of Cloud's three limits are modelled: the burst limit per user, endpoint
and method (`jira-burst-based`) and the write limit per issue
(`jira-per-issue-on-write`). The points quota for apps does not apply to
API-token traffic, so it is left out.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from syncd.sim.jira.config import RateLimitConfig

BURST = "jira-burst-based"
PER_ISSUE = "jira-per-issue-on-write"


@dataclass
class Bucket:
    tokens: float
    stamp: float


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        reset = datetime.now(UTC) + timedelta(seconds=self.retry_after_s)
        return {
            "Retry-After": str(self.retry_after_s),
            "X-RateLimit-Reset": reset.isoformat(timespec="seconds").replace(
                "+00:00", "Z"
            ),
            "RateLimit-Reason": self.reason,
        }


class RateLimiter:
    def __init__(self, settings: RateLimitConfig) -> None:
        self.settings = settings
        self._buckets: dict[tuple[str, ...], Bucket] = {}

    def reset(self) -> None:
        self._buckets.clear()

    def check(
        self, user: str, method: str, template: str, issue: str | None
    ) -> Refusal | None:
        """Take a token from each applicable bucket or say which refused."""
        limits = self.settings
        if limits.burst_per_second is not None:
            key = ("burst", user, method, template)
            wait = self._take(key, limits.burst_per_second, limits.burst_capacity)
            if wait is not None:
                return Refusal(BURST, wait)
        write = method in ("POST", "PUT", "DELETE")
        if limits.per_issue_writes_per_second is not None and write and issue:
            rate = limits.per_issue_writes_per_second
            wait = self._take(("issue", issue), rate, limits.per_issue_capacity)
            if wait is not None:
                return Refusal(PER_ISSUE, wait)
        return None

    def _take(self, key: tuple[str, ...], rate: float, capacity: int) -> int | None:
        moment = time.monotonic()
        bucket = self._buckets.setdefault(key, Bucket(float(capacity), moment))
        bucket.tokens = min(capacity, bucket.tokens + (moment - bucket.stamp) * rate)
        bucket.stamp = moment
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        # A client that comes back early finds the bucket still short, so it
        # waits at least as long again: the refusal itself costs a token.
        bucket.tokens -= 1
        return max(1, math.ceil((1 - bucket.tokens) / rate))
