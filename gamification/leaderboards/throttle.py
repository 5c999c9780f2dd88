"""Throttled publishing: at most one message per channel per interval, the latest never lost.

Every process that shares the Redis shares the throttle. Per channel there are two keys, the
gate `<channel>:gate` (held for `min_interval_ms` after each publish, SET NX PX) and the parked
payload `<channel>:pending` (last writer wins). For Redis Cluster the channel name must carry a
hash tag (`LeaderboardStore.changes_channel` does), so that both keys share a slot with the
channel itself: the script publishes with SPUBLISH (sharded pub/sub), which a cluster node
accepts in a script only for a channel of the script's own slot.

Guarantees, for one channel:

- Rate: a message is published only by the caller that takes the free gate, in the same script,
  so two publishes are at least `min_interval_ms` apart by the Redis server's clock.
- Leading edge: when the gate is free, the payload is published at once.
- Trailing edge: otherwise the payload is parked, replacing any parked before it, and the call
  waits until the gate frees, then publishes whatever is parked unless another caller already
  did. So when `publish_throttled` returns, the payload, or one parked after it, has been
  published, at most about `min_interval_ms` after the call. The last payload is lost only if
  every process that parked it dies before the gate frees and no later call on the channel
  comes (the next call publishes it, until it expires after ten intervals).
- Payloads parked in between are dropped: subscribers get the latest state, not each change.

Calls can wait up to `min_interval_ms`, so a dispatcher should run them as tasks rather than
await them one after another.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

import redis.asyncio as aioredis

# KEYS: gate, pending. ARGV: channel, interval ms, has payload (1/0), payload, pending ttl ms.
# Returns -1 when it published, 0 when nothing is parked (someone published it), else the
# milliseconds until the gate frees.
_PUBLISH_OR_PARK = """
if ARGV[3] == '1' then
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
end
local pending = redis.call('GET', KEYS[2])
if not pending then
  return 0
end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then
  redis.call('DEL', KEYS[2])
  redis.call('SPUBLISH', ARGV[1], pending)
  return -1
end
local wait = redis.call('PTTL', KEYS[1])
if wait < 1 then
  wait = 1
end
return wait
"""


class Publication(StrEnum):
    """How a throttled payload went out."""

    PUBLISHED = "PUBLISHED"
    """This call published it (or a later payload parked over it)."""
    COALESCED = "COALESCED"
    """Another call published it, or a payload parked after it."""


async def publish_throttled(
    redis: aioredis.Redis | aioredis.RedisCluster,
    channel: str,
    payload: str | bytes,
    min_interval_ms: int = 1000,
) -> Publication:
    """Publish `payload` on `channel` at most once per `min_interval_ms` across processes,
    never losing the latest payload (see the module docstring for the exact guarantee).
    Returns once the payload, or a later one, is out. Raises ValueError for an interval < 1.
    """
    if min_interval_ms < 1:
        raise ValueError("min_interval_ms must be at least 1")
    script = redis.register_script(_PUBLISH_OR_PARK)
    keys = [f"{channel}:gate", f"{channel}:pending"]
    pending_ttl_ms = 10 * min_interval_ms
    outcome = int(
        await script(keys=keys, args=[channel, min_interval_ms, 1, payload, pending_ttl_ms])
    )
    while outcome > 0:
        await asyncio.sleep(outcome / 1000)
        outcome = int(await script(keys=keys, args=[channel, min_interval_ms, 0, "", 0]))
    if outcome < 0:
        return Publication.PUBLISHED
    return Publication.COALESCED
