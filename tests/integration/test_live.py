"""The per-process fan-out behind subscriptions, across processes on a real Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from api.live import ChannelFanout
from tests.conftest import make_redis_client, real_redis
from tests.redis_support import shard_subscribers


async def wait_subscribed(redis: aioredis.Redis, channel: str) -> None:
    for _ in range(100):
        if await shard_subscribers(redis, channel) >= 1:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"nobody subscribed to {channel}")


@pytest.mark.redis
async def test_a_message_published_in_one_process_reaches_subscribers_of_another(
    redis_prefix: str,
) -> None:
    assert real_redis()
    here, there = make_redis_client(), make_redis_client()
    fanout = ChannelFanout(there)
    channel = f"{redis_prefix}member:1:notifications"
    try:
        async with fanout.listen(channel) as first, fanout.listen(channel) as second:
            await wait_subscribed(here, channel)
            assert await shard_subscribers(here, channel) == 1  # one connection
            await here.spublish(channel, '{"id": "1"}')
            received = [await asyncio.wait_for(q.get(), timeout=5) for q in (first, second)]
            assert received == ['{"id": "1"}', '{"id": "1"}']
        await asyncio.sleep(0.1)
        assert await shard_subscribers(here, channel) == 0
    finally:
        await fanout.close()
        await here.aclose()
        await there.aclose()
