"""Rate limits counted in Redis (fakeredis by default, the real one with FIDELIO_TEST_REDIS_URL)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from api.ratelimit import Limit, RateLimiter
from domain.errors import RateLimited

T0 = 1_800_000_000.0  # the start of a 10-second window


async def test_a_caller_gets_the_limit_per_window_then_rate_limited(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RateLimiter(redis_client, redis_prefix)
    limit = Limit(3, 10)
    assert [await limiter.hit("claimDrop", "7", limit, T0 + i) for i in range(3)] == [1, 2, 3]
    with pytest.raises(RateLimited) as exc:
        await limiter.hit("claimDrop", "7", limit, T0 + 4)
    assert exc.value.message == "Too many attempts: try again in 6 s."
    assert await limiter.hit("claimDrop", "7", limit, T0 + 10) == 1


async def test_callers_and_operations_are_counted_apart(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RateLimiter(redis_client, redis_prefix)
    limit = Limit(1, 10)
    await limiter.hit("claimDrop", "7", limit, T0)
    assert await limiter.hit("claimDrop", "8", limit, T0) == 1
    assert await limiter.hit("redeemReward", "7", limit, T0) == 1


async def test_counters_expire_with_their_window(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RateLimiter(redis_client, redis_prefix)
    await limiter.hit("claimDrop", "7", Limit(5, 10), T0)
    [key] = [k async for k in redis_client.scan_iter(match=f"{redis_prefix}*")]
    assert 0 < await redis_client.ttl(key) <= 11


async def test_concurrent_hits_are_all_counted(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    limiter = RateLimiter(redis_client, redis_prefix)

    async def one() -> bool:
        try:
            await limiter.hit("claimDrop", "7", Limit(10, 10), T0)
            return True
        except RateLimited:
            return False

    results = await asyncio.gather(*(one() for _ in range(50)))
    assert results.count(True) == 10


async def test_a_zero_limit_counts_nothing(redis_client: aioredis.Redis, redis_prefix: str) -> None:
    limiter = RateLimiter(redis_client, redis_prefix)
    assert await limiter.hit("claimDrop", "7", Limit(0, 10), T0) == 0
    assert [k async for k in redis_client.scan_iter(match=f"{redis_prefix}*")] == []


async def test_without_redis_the_limit_is_not_enforced() -> None:
    # Nothing listens on port 1: the claim goes on, the database stays the judge.
    unreachable = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        limiter = RateLimiter(unreachable, "x:")
        assert await limiter.hit("claimDrop", "7", Limit(1, 10), T0) == 0
        assert await limiter.hit("claimDrop", "7", Limit(1, 10), T0) == 0
    finally:
        await unreachable.aclose()
