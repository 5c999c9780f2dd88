"""The process's shared pub/sub: one Redis subscription per channel, whatever the subscribers."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from api.live import ChannelFanout
from tests.redis_support import shard_subscribers as subscribers_on_redis


async def test_every_listener_hears_a_message_over_one_shared_redis_subscription(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    fanout = ChannelFanout(redis_client)
    channel = f"{redis_prefix}board"
    try:
        async with fanout.listen(channel) as first, fanout.listen(channel) as second:
            assert fanout.listeners(channel) == 2
            assert await subscribers_on_redis(redis_client, channel) == 1
            await redis_client.spublish(channel, "changed")
            heard = await asyncio.wait_for(asyncio.gather(first.get(), second.get()), 5)
            assert heard == ["changed", "changed"]
        assert fanout.listeners(channel) == 0
        assert await subscribers_on_redis(redis_client, channel) == 0
    finally:
        await fanout.close()


async def test_a_listener_that_falls_behind_keeps_the_latest_messages(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    fanout = ChannelFanout(redis_client)
    channel = f"{redis_prefix}board"
    try:
        async with fanout.listen(channel) as queue:
            for number in range(20):
                await redis_client.spublish(channel, str(number))
            await asyncio.sleep(0.3)
            kept = [queue.get_nowait() for _ in range(queue.qsize())]
        assert kept[-1] == "19" and len(kept) < 20
    finally:
        await fanout.close()
