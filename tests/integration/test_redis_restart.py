"""Live board announcements through the process's real Redis client, across a Redis restart.

The client is the runtime's own (`api.runtime.make_redis`), the subscriber the process's shared
pub/sub fan-out (`api.live.ChannelFanout`), the server one of the test's own, killed and
started again on the same port.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from contextlib import AsyncExitStack
from zoneinfo import ZoneInfo

import pytest

from api.live import RESYNC, ChannelFanout
from api.runtime import REDIS_MAX_CONNECTIONS, make_redis
from api.settings import Settings
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.periods import LeaderboardWindow
from gamification.leaderboards.store import BoardKey
from tests.integration.redis_server import RedisServer, redis_server

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


def board(n: int) -> BoardKey:
    return BoardKey(f"b{n}", LeaderboardWindow.WEEKLY, "2026-W03", None)


class Listener:
    """Collects the board codes announced on the given boards' channels through the fan-out,
    as the leaderboardChanged subscription listens (with resync), and which channels were
    told to resync."""

    def __init__(self, fanout: ChannelFanout, boards: Boards, keys: list[BoardKey]) -> None:
        self._fanout = fanout
        self._channels = [boards.store.changes_channel(k) for k in keys]
        self._stack = AsyncExitStack()
        self._queues: list[asyncio.Queue[str]] = []
        self.codes: set[str] = set()
        self.resynced: set[int] = set()

    async def __aenter__(self) -> Listener:
        for channel in self._channels:
            self._queues.append(
                await self._stack.enter_async_context(self._fanout.listen(channel, resync=True))
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def until(self, codes: set[str], seconds: float) -> set[str]:
        """Wait until every one of `codes` was heard (or the time is up); returns the heard."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not codes <= self.codes and loop.time() < deadline:
            self._drain()
            await asyncio.sleep(0.05)
        self._drain()
        return self.codes

    async def until_resynced(self, seconds: float) -> int:
        """Wait until every channel was told to resync; returns how many were."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while len(self.resynced) < len(self._queues) and loop.time() < deadline:
            self._drain()
            await asyncio.sleep(0.05)
        return len(self.resynced)

    def _drain(self) -> None:
        for n, queue in enumerate(self._queues):
            while not queue.empty():
                message = queue.get_nowait()
                if message == RESYNC:
                    self.resynced.add(n)
                else:
                    self.codes.add(json.loads(message)["code"])


async def eventually_empty(boards: Boards, seconds: float) -> list[BoardKey]:
    """The boards still unannounced once all are, or once the time is up."""
    for _ in range(int(seconds * 10)):
        if not boards.unannounced:
            break
        await asyncio.sleep(0.1)
    return boards.unannounced


async def test_a_burst_of_announcements_beyond_the_pool_waits_for_connections_and_all_go_out(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    redis = make_redis(Settings(redis_url=server.url))
    boards = Boards(redis, "burst:", ZoneInfo("UTC"), publish_interval_ms=50)
    fanout = ChannelFanout(redis)
    keys = [board(n) for n in range(3 * REDIS_MAX_CONNECTIONS)]
    try:
        async with Listener(fanout, boards, keys) as listener:
            for key in keys:
                boards.announce(key)
            await boards.announced()
            codes = await listener.until({k.code for k in keys}, seconds=10)
    finally:
        await boards.close()
        await fanout.close()
        await redis.aclose()

    assert codes == {k.code for k in keys}
    assert boards.unannounced == []
    assert listener.resynced == set()
    assert "Too many connections" not in caplog.text


async def test_announcements_refused_while_redis_restarts_go_out_once_it_is_back(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    redis = make_redis(Settings(redis_url=server.url))
    boards = Boards(redis, "restart:", ZoneInfo("UTC"), publish_interval_ms=50)
    fanout = ChannelFanout(redis)
    before = [board(n) for n in range(20)]
    during = [board(n) for n in range(20, 80)]
    after = [board(n) for n in range(80, 100)]
    try:
        async with Listener(fanout, boards, before + during + after) as listener:
            for key in before:
                boards.announce(key)
            assert await listener.until({k.code for k in before}, 5) >= {k.code for k in before}

            server.stop()
            with caplog.at_level(logging.INFO, logger="fidelio.leaderboards"):
                for key in during:
                    boards.announce(key)
                await boards.announced()  # each one tried, retried, and refused
                refused = set(boards.unannounced)
                server.start()
                # Nothing announces those boards again but the client itself; the subscriber,
                # which may have missed what went out before it was subscribed again, is told
                # to read the boards afresh.
                resynced = await listener.until_resynced(seconds=15)
                left = await eventually_empty(boards, seconds=30)
                for key in after:
                    boards.announce(key)
                await boards.announced()
                codes = await listener.until({k.code for k in after}, seconds=10)
    finally:
        await boards.close()
        await fanout.close()
        await redis.aclose()

    assert refused == set(during)
    assert resynced == len(before + during + after)
    assert left == []
    assert codes >= {k.code for k in after}
    assert "Too many connections" not in caplog.text
    # One warning per part for the whole outage, not one per failed command.
    warnings = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert sorted(name for name, _ in warnings) == ["fidelio.leaderboards", "fidelio.live"]
    assert any("announcing it again once Redis answers" in message for _, message in warnings)
