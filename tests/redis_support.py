"""Sharded pub/sub in tests, the same on one Redis, a Redis Cluster and the in-process fake.

The app publishes with SPUBLISH and listens with SSUBSCRIBE (api.live). On a cluster a shard
channel lives on the node owning its slot: counting its subscribers asks that node, and a
pub/sub object reads its per-node connections with `get_sharded_message`.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterPubSub

from api.redis_cluster import RedisClient


async def shard_subscribers(redis: RedisClient, channel: str) -> int:
    """How many connections listen on the shard channel (PUBSUB SHARDNUMSUB on its node)."""
    if isinstance(redis, aioredis.RedisCluster):
        await redis.initialize()  # a no-op once the client knows the slots
        node = redis.get_node_from_key(channel)
        counts = await redis.pubsub_shardnumsub(channel, target_nodes=node)
    else:
        counts = await redis.pubsub_shardnumsub(channel)
    return int(dict(counts).get(channel, 0))


async def read_shard_message(
    pubsub: Any,
    wait_seconds: float,
    *,
    ignore_subscribe_messages: bool = False,
) -> dict[str, Any] | None:
    """The next message of a pub/sub object subscribed with SSUBSCRIBE, or None."""
    if isinstance(pubsub, ClusterPubSub):
        return await pubsub.get_sharded_message(
            ignore_subscribe_messages=ignore_subscribe_messages, timeout=wait_seconds
        )
    return await pubsub.get_message(
        ignore_subscribe_messages=ignore_subscribe_messages, timeout=wait_seconds
    )
