"""Live subscriptions over Redis pub/sub: one connection per process, shared by subscribers.

Each server process keeps a single Redis pub/sub connection. A subscriber asks for a channel
and gets an async iterator of its messages; the first subscriber of a channel subscribes the
connection to it, the last one leaving unsubscribes. Messages published by any process (an
API process or a worker) reach every subscriber of every process. A subscriber that falls more
than `queue_size` messages behind loses the oldest ones rather than slowing the others down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis

log = logging.getLogger("fidelio.live")


class Broadcaster:
    def __init__(self, redis: aioredis.Redis, queue_size: int = 100) -> None:
        self.redis = redis
        self.queue_size = queue_size
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._queues: dict[str, set[asyncio.Queue[str]]] = {}
        self._lock = asyncio.Lock()

    async def _ensure_reader(self) -> None:
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live feed: reading from Redis failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            data = message["data"]
            data = data.decode() if isinstance(data, bytes) else data
            for queue in list(self._queues.get(channel, ())):
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(data)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        """The messages published on `channel` from now on, until the caller stops."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=self.queue_size)
        async with self._lock:
            await self._ensure_reader()
            listeners = self._queues.setdefault(channel, set())
            if not listeners:
                await self._pubsub.subscribe(channel)
            listeners.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            async with self._lock:
                listeners = self._queues.get(channel, set())
                listeners.discard(queue)
                if not listeners:
                    self._queues.pop(channel, None)
                    with contextlib.suppress(Exception):
                        await self._pubsub.unsubscribe(channel)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
