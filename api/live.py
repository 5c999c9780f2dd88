"""Live updates for subscriptions: one Redis pub/sub connection per process, shared.

Channels are sharded (SSUBSCRIBE, SPUBLISH: Redis 7): on a single Redis they behave as plain
pub/sub, on a Redis Cluster each message goes only to the node that owns the channel's slot
(the client keeps one connection per node it listens on), instead of to every node.

Every GraphQL subscription of this process listens through `ChannelFanout.listen(channel)`;
the fan-out subscribes the shared connection to a channel while at least one subscriber wants
it and hands each message to every subscriber's queue. A subscriber that falls behind keeps
only the latest messages (its queue is bounded), which is what live views need: the latest
state, not every change. Works the same on fakeredis in one process (the embedded setup).

When the connection to Redis breaks (a restart), the client reconnects and subscribes again on
its own, but whatever was published meanwhile never reaches this process. Listeners that follow
a state (a board) rather than a stream ask for `resync`: once the fan-out reads again after a
failure, each of their queues receives `RESYNC`, their cue to read the current state afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio.cluster import ClusterPubSub

from api.redis_cluster import RedisClient
from domain.events import DomainEvent
from domain.members.events import MemberErased
from domain.outbox.dispatcher import Handler

log = logging.getLogger("fidelio.live")

_QUEUE_SIZE = 8
_POLL_SECONDS = 0.25
_RETRY_SECONDS = 0.5

#: Put in the queues of `resync` listeners after the connection came back: messages may have
#: been missed, read the current state.
RESYNC = "fidelio:resync"


class ChannelFanout:
    """The process's shared subscription to sharded channels, fanned out to listeners' queues."""

    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._queues: dict[str, set[asyncio.Queue[str]]] = {}
        self._resyncing: set[asyncio.Queue[str]] = set()
        self._lock = asyncio.Lock()
        self._closing = False

    @contextlib.asynccontextmanager
    async def listen(
        self, channel: str, *, resync: bool = False
    ) -> AsyncIterator[asyncio.Queue[str]]:
        """A queue receiving the messages published on `channel` from now on, until the
        context exits. Once entered, the process is subscribed on Redis. With `resync`, the
        queue also receives `RESYNC` whenever the connection came back after a failure."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=_QUEUE_SIZE)
        if resync:
            self._resyncing.add(queue)
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            listeners = self._queues.setdefault(channel, set())
            listeners.add(queue)
            if len(listeners) == 1:
                await self._pubsub.ssubscribe(channel)
            if self._reader is None or self._reader.done():
                self._closing = False
                self._reader = asyncio.create_task(self._read())
        try:
            yield queue
        finally:
            self._resyncing.discard(queue)
            async with self._lock:
                listeners = self._queues.get(channel, set())
                listeners.discard(queue)
                if not listeners:
                    self._queues.pop(channel, None)
                    with contextlib.suppress(Exception):
                        await self._pubsub.sunsubscribe(channel)

    def listeners(self, channel: str) -> int:
        """How many subscriptions of this process listen on `channel`."""
        return len(self._queues.get(channel, ()))

    async def _read(self) -> None:
        # Polls with a short timeout and stops on a flag rather than on cancellation: a read
        # cancelled midway tears the client's connection down (and hangs fakeredis's).
        broken = False
        while not self._closing:
            if not self._queues:  # nothing subscribed: nothing to read (a cluster would spin)
                await asyncio.sleep(_POLL_SECONDS)
                continue
            try:
                message = await self._next_message()
            except Exception as error:
                # The client reconnects and subscribes again on the next read.
                if not broken:
                    log.warning("reading from Redis pub/sub failed, retrying: %s", error)
                broken = True
                await asyncio.sleep(_RETRY_SECONDS)
                continue
            if broken:
                broken = False
                log.info("reading from Redis pub/sub again; live listeners resync")
                for queue in list(self._resyncing):
                    _offer(queue, RESYNC)
            if message is None or message.get("type") != "smessage":
                continue
            channel = _text(message["channel"])
            data = _text(message["data"])
            for queue in list(self._queues.get(channel, ())):
                _offer(queue, data)

    async def _next_message(self) -> dict[str, Any] | None:
        """The next message on any channel, or None after a short wait. A cluster's pub/sub
        reads the connections of every node it listens on in turn."""
        if isinstance(self._pubsub, ClusterPubSub):
            message = await self._pubsub.get_sharded_message(
                ignore_subscribe_messages=True, timeout=_POLL_SECONDS
            )
        else:
            message = await self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=_POLL_SECONDS
            )
        return dict(message) if message is not None else None

    async def close(self) -> None:
        """Stop reading and drop the shared connection (the runtime's stop)."""
        self._closing = True
        if self._reader is not None:
            await asyncio.wait({self._reader}, timeout=_POLL_SECONDS * 4)
            if not self._reader.done():
                self._reader.cancel()
            self._reader = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None


def _offer(queue: asyncio.Queue[str], data: str) -> None:
    if queue.full():
        queue.get_nowait()  # drop the oldest: the latest state matters
    queue.put_nowait(data)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def session_channel(prefix: str, member_id: int) -> str:
    """Where the end of a member's live sessions is announced (api.ws_session)."""
    return f"{prefix}member:{member_id}:session"


def session_handlers(redis: RedisClient, prefix: str) -> dict[str, list[Handler]]:
    """Outbox handlers that end the live sessions of an erased member, on every process."""

    async def member_erased(event: DomainEvent) -> None:
        assert isinstance(event, MemberErased)
        await redis.spublish(session_channel(prefix, event.member_id), "erased")

    return {MemberErased.kind: [member_erased]}
