"""The shared access token: cache in Redis, one renewal, refresh rotation."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis
from structlog.testing import capture_logs

from syncd.errors import AuthError
from syncd.intigriti.tokens import TokenProvider, request_grant, ttl_ms


def provider(fake: Any, client: redis.Redis, **settings: Any) -> TokenProvider:
    return TokenProvider(
        fake.settings(**settings), client, "test", http=fake.http(), lock_wait_seconds=5
    )


def test_token_is_fetched_once_and_shared_by_every_provider(
    fake: Any, redis_client: redis.Redis
) -> None:
    first, second = provider(fake, redis_client), provider(fake, redis_client)

    tokens = {first.access_token(), second.access_token(), first.access_token()}

    assert tokens == {"access-1"}
    assert len(fake.grants) == 1
    assert fake.grants[0] == {
        "grant_type": "client_credentials",
        "client_id": "syncd-test",
        "client_secret": "s3cret-client-value",
    }
    assert (first.refresh_count, second.refresh_count) == (1, 0)


def test_cached_token_expires_a_margin_before_expires_in(
    fake: Any, redis_client: redis.Redis
) -> None:
    provider(fake, redis_client).access_token()

    ttl = redis_client.pttl("test:intigriti:access_token")

    assert 3_539_000 <= ttl <= 3_540_000


def test_ttl_margin_is_at_most_a_tenth_of_a_short_lifetime() -> None:
    assert ttl_ms(3600, 60) == 3_540_000
    assert ttl_ms(10, 60) == 9_000
    assert ttl_ms(None, 60) == 0


def test_token_endpoint_refusal_is_an_auth_error_without_the_secret(
    fake: Any, redis_client: redis.Redis
) -> None:
    fake.token_status = 401

    with pytest.raises(AuthError) as caught:
        provider(fake, redis_client).access_token()

    assert str(caught.value) == (
        "Intigriti token endpoint refused the client_credentials grant "
        "(HTTP 401, error=invalid_client)"
    )
    assert "s3cret" not in repr(caught.value)


def test_refresh_of_a_rejected_token_happens_once_for_many_threads(
    fake: Any, redis_client: redis.Redis
) -> None:
    workers = [provider(fake, redis_client) for _ in range(12)]
    rejected = workers[0].access_token()
    fake.token_delay = 0.05
    barrier = threading.Barrier(len(workers))
    renewed: list[str] = []

    def renew(tokens: TokenProvider) -> None:
        barrier.wait()
        renewed.append(tokens.refresh(rejected=rejected))

    with capture_logs() as logs:
        threads = [threading.Thread(target=renew, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    assert renewed == ["access-2"] * 12
    assert len(fake.grants) == 2
    assert [e["event"] for e in logs].count("intigriti.token_refreshed") == 1


def test_static_token_is_used_as_is_and_a_401_is_an_auth_error(
    fake: Any, redis_client: redis.Redis
) -> None:
    tokens = provider(
        fake, redis_client, auth="static", static_token="pasted-admin-token"
    )

    assert tokens.access_token() == "pasted-admin-token"
    with pytest.raises(AuthError):
        tokens.refresh(rejected="pasted-admin-token")
    assert fake.grants == []
    assert redis_client.keys("test:*") == []


def test_refresh_token_rotation_stores_the_successor(
    fake: Any, redis_client: redis.Redis
) -> None:
    redis_client.set("test:intigriti:refresh_token", fake.issue_refresh_token())
    tokens = provider(fake, redis_client, auth="refresh_token")

    token = tokens.access_token()

    assert token == "access-2"
    assert fake.grants[0]["refresh_token"] == "refresh-1"
    assert "scope" not in fake.grants[0]
    assert redis_client.get("test:intigriti:refresh_token") == b"refresh-3"
    assert tokens.refresh(rejected=token) == "access-4"
    assert redis_client.get("test:intigriti:refresh_token") == b"refresh-5"


def test_reused_refresh_token_is_refused_as_an_auth_error(
    fake: Any, redis_client: redis.Redis
) -> None:
    redis_client.set("test:intigriti:refresh_token", fake.issue_refresh_token())
    provider(fake, redis_client, auth="refresh_token").access_token()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "client_id": "syncd-test",
        "client_secret": "s3cret-client-value",
    }

    with pytest.raises(AuthError) as caught:
        request_grant(fake.http(), fake.settings(), form)

    assert "error=invalid_grant" in str(caught.value)
    assert "refresh-1" not in str(caught.value)


def test_rotation_never_overwrites_a_refresh_token_stored_meanwhile(
    fake: Any, redis_client: redis.Redis
) -> None:
    redis_client.set("test:intigriti:refresh_token", fake.issue_refresh_token())
    tokens = provider(fake, redis_client, auth="refresh_token")
    # Another login lands while our rotation is in flight.
    fake.on_grant = lambda form: redis_client.set(
        "test:intigriti:refresh_token", "from-a-new-login"
    )

    with capture_logs() as logs:
        token = tokens.access_token()

    assert token == "access-2"
    assert redis_client.get("test:intigriti:refresh_token") == b"from-a-new-login"
    assert redis_client.get("test:intigriti:access_token") is None
    assert "intigriti.refresh_token_superseded" in [e["event"] for e in logs]


def test_refresh_token_mode_without_a_stored_token_asks_for_login(
    fake: Any, redis_client: redis.Redis
) -> None:
    with pytest.raises(AuthError, match="run `syncd auth login`"):
        provider(fake, redis_client, auth="refresh_token").access_token()

    assert fake.grants == []
