"""Board change notifications go out at most once per interval per channel, the latest never lost.

Processes meet only in Redis, so concurrent calls on separate pooled connections stand for
separate processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from gamification.leaderboards import Publication, publish_throttled
from tests.redis_support import read_shard_message

INTERVAL_MS = 150


@dataclass
class Received:
    """Messages heard on a channel, with the monotonic time each arrived."""

    messages: list[tuple[float, str]] = field(default_factory=list)

    @property
    def payloads(self) -> list[str]:
        return [payload for _, payload in self.messages]


@pytest.fixture
def channel(redis_prefix: str) -> str:
    return f"{redis_prefix}lbch:{{spenders}}:weekly:_"


@pytest.fixture
async def received(redis_client: aioredis.Redis, channel: str) -> AsyncIterator[Received]:
    heard = Received()
    pubsub = redis_client.pubsub()
    await pubsub.ssubscribe(channel)
    await read_shard_message(pubsub, wait_seconds=1.0)  # the subscribe confirmation

    async def listen() -> None:
        while True:
            message = await read_shard_message(
                pubsub, wait_seconds=0.05, ignore_subscribe_messages=True
            )
            if message is not None:
                heard.messages.append((time.monotonic(), message["data"]))

    listener = asyncio.create_task(listen())
    try:
        yield heard
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await pubsub.aclose()


async def settle() -> None:
    await asyncio.sleep(0.1)


async def test_the_first_change_is_published_at_once(
    redis_client: aioredis.Redis, channel: str, received: Received
) -> None:
    started = time.monotonic()

    outcome = await publish_throttled(redis_client, channel, "v1", min_interval_ms=INTERVAL_MS)

    assert outcome is Publication.PUBLISHED
    assert time.monotonic() - started < INTERVAL_MS / 1000 / 2
    await settle()
    assert received.payloads == ["v1"]


async def test_a_change_during_the_interval_goes_out_when_the_interval_ends(
    redis_client: aioredis.Redis, channel: str, received: Received
) -> None:
    await publish_throttled(redis_client, channel, "v1", min_interval_ms=INTERVAL_MS)
    started = time.monotonic()

    outcome = await publish_throttled(redis_client, channel, "v2", min_interval_ms=INTERVAL_MS)

    assert outcome is Publication.PUBLISHED
    assert time.monotonic() - started >= INTERVAL_MS / 1000 * 0.8
    await settle()
    assert received.payloads == ["v1", "v2"]


async def test_changes_parked_in_one_interval_go_out_once_as_the_latest(
    redis_client: aioredis.Redis, channel: str, received: Received
) -> None:
    await publish_throttled(redis_client, channel, "v1", min_interval_ms=INTERVAL_MS)

    parked = []
    for n in range(2, 7):
        parked.append(
            asyncio.create_task(
                publish_throttled(redis_client, channel, f"v{n}", min_interval_ms=INTERVAL_MS)
            )
        )
        await asyncio.sleep(0.005)  # so that they reach Redis in this order
    outcomes = await asyncio.gather(*parked)

    await settle()
    assert received.payloads == ["v1", "v6"]
    assert sorted(outcomes) == [Publication.COALESCED] * 4 + [Publication.PUBLISHED]


async def test_a_burst_is_published_at_most_once_per_interval_and_ends_with_the_last_change(
    redis_client: aioredis.Redis, channel: str, received: Received
) -> None:
    started = time.monotonic()
    calls = []
    for n in range(40):
        calls.append(
            asyncio.create_task(
                publish_throttled(redis_client, channel, f"v{n:02d}", min_interval_ms=INTERVAL_MS)
            )
        )
        await asyncio.sleep(0.015)  # a change every 15 ms for 600 ms
    await asyncio.gather(*calls)
    elapsed_ms = (time.monotonic() - started) * 1000

    await settle()
    assert received.payloads[-1] == "v39"
    assert received.payloads == sorted(received.payloads)  # never an older state after a newer
    assert 2 <= len(received.payloads) <= elapsed_ms // INTERVAL_MS + 1
    gaps = [b - a for (a, _), (b, _) in zip(received.messages, received.messages[1:], strict=False)]
    assert min(gaps) >= INTERVAL_MS / 1000 * 0.7  # received times jitter a little


async def test_channels_are_throttled_independently(
    redis_client: aioredis.Redis, channel: str, received: Received
) -> None:
    other = channel.replace("weekly", "daily")

    first = await publish_throttled(redis_client, other, "daily", min_interval_ms=INTERVAL_MS)
    second = await publish_throttled(redis_client, channel, "weekly", min_interval_ms=INTERVAL_MS)

    assert (first, second) == (Publication.PUBLISHED, Publication.PUBLISHED)
    await settle()
    assert received.payloads == ["weekly"]


async def test_an_interval_under_a_millisecond_is_refused(
    redis_client: aioredis.Redis, channel: str
) -> None:
    with pytest.raises(ValueError):
        await publish_throttled(redis_client, channel, "v1", min_interval_ms=0)
