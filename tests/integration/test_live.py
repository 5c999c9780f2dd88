"""The per-process broadcaster behind subscriptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from api.live import Broadcaster
from tests.conftest import make_redis_client, real_redis


async def take(stream: AsyncIterator[str], n: int) -> list[str]:
    return [await asyncio.wait_for(anext(stream), timeout=5) for _ in range(n)]


async def wait_subscribed(redis: aioredis.Redis, channel: str, count: int = 1) -> None:
    for _ in range(100):
        numbers = dict(await redis.pubsub_numsub(channel))
        if numbers.get(channel, 0) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{channel} never had {count} subscribers")


async def test_subscribers_of_one_channel_share_one_subscription_and_each_get_every_message(
    redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    live = Broadcaster(redis_client)
    channel = f"{redis_prefix}board"
    first, second = live.subscribe(channel), live.subscribe(channel)
    received = asyncio.gather(take(first, 2), take(second, 2))
    await asyncio.sleep(0.1)
    await wait_subscribed(redis_client, channel)
    assert dict(await redis_client.pubsub_numsub(channel))[channel] == 1
    await redis_client.publish(channel, "a")
    await redis_client.publish(channel, "b")
    assert await received == [["a", "b"], ["a", "b"]]
    await first.aclose()
    await second.aclose()
    assert dict(await redis_client.pubsub_numsub(channel))[channel] == 0
    await live.close()


@pytest.mark.redis
async def test_a_message_published_in_one_process_reaches_subscribers_of_another(
    redis_prefix: str,
) -> None:
    assert real_redis()
    here, there = make_redis_client(), make_redis_client()
    try:
        live_here, live_there = Broadcaster(here), Broadcaster(there)
        channel = f"{redis_prefix}member:1:notifications"
        stream = live_there.subscribe(channel)
        received = asyncio.ensure_future(take(stream, 1))
        await wait_subscribed(here, channel)
        await here.publish(channel, '{"id": "1"}')
        assert await received == ['{"id": "1"}']
        await stream.aclose()
        await live_here.close()
        await live_there.close()
    finally:
        await here.aclose()
        await there.aclose()
