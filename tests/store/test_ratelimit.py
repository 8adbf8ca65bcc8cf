"""The rate-limit bucket in Redis: refill, refusal, key namespace (README: Limits)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from resolvers.store import ratelimit
from tests.factories import T0


@pytest.fixture
async def redis(server_urls: tuple[str, str]) -> AsyncIterator[Redis]:
    client = Redis.from_url(server_urls[1])
    yield client
    await client.aclose()


async def test_a_bucket_refills_evenly_and_refuses_without_spending(redis: Redis) -> None:
    limiter = ratelimit.RateLimiter(
        redis, points=100, window_s=10, prefix="t-" + secrets.token_hex(4)
    )
    token = "wafi_" + secrets.token_hex(8)
    assert await limiter.spend(token, 70, now=T0) == ratelimit.Verdict(True, 100, 30, 7, 0)
    # 40 > 30: refused, nothing taken; 10 points come back a second.
    assert await limiter.spend(token, 40, now=T0) == ratelimit.Verdict(False, 100, 30, 7, 1)
    later = T0 + timedelta(seconds=1)
    assert await limiter.spend(token, 40, now=later) == ratelimit.Verdict(True, 100, 0, 10, 0)
    # Never more than full, however long it waited; a cost above the limit needs a full bucket.
    much_later = later + timedelta(hours=1)
    assert await limiter.peek(token, now=much_later) == ratelimit.Verdict(True, 100, 100, 0, 0)
    assert await limiter.spend(token, 500, now=much_later) == ratelimit.Verdict(True, 100, 0, 10, 0)


async def test_keys_are_namespaced_and_never_hold_the_token(redis: Redis) -> None:
    token = "wafi_" + secrets.token_hex(8)
    prefix = "a-" + secrets.token_hex(4)
    first = ratelimit.RateLimiter(redis, points=10, window_s=60, prefix=prefix)
    second = ratelimit.RateLimiter(
        redis, points=10, window_s=60, prefix="b-" + secrets.token_hex(4)
    )
    assert (await first.spend(token, 10, now=T0)).remaining == 0
    assert (await second.spend(token, 4, now=T0)).remaining == 6  # another deployment's budget
    key = first.key(token)
    assert key == f"{prefix}:ratelimit:{hashlib.sha256(token.encode()).hexdigest()}"
    assert await redis.exists(key) == 1
    assert 0 < await redis.pttl(key) <= 60_000
