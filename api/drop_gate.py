"""The drops' admission gate counter in Redis (domain.drops.admission.UnitCounter).

Two keys per drop, in one Redis Cluster slot thanks to the hash tag `{drop:ID}`:
`{prefix}{drop:ID}:gate`, the units still admittable, and `{prefix}{drop:ID}:held`, a sorted
set of the holds of running claims scored by when they lapse. Each operation is one Lua script,
so that reading and changing them is atomic across every process. Both are derived from the
database (the domain seeds and refills them) and expire a day after they were last written:
losing them loses nothing. Any Redis failure is CounterUnavailable: the domain then claims
through the database alone.

A take that also counts the caller's attempt (the claim's rate limit, api.ratelimit) runs both
in one script, so a claim of the storm costs one round trip to Redis; the rate limit's key has
no hash tag, so on a Redis Cluster the attempt is counted by its own script first.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from api.redis_cluster import RedisClient
from domain.drops.admission import Attempts, CounterUnavailable, Take

#: ARGV: hold, now (ms), hold lifetime (ms), keep (s). Answers a `Take`.
_TAKE = """
local units = redis.call('GET', KEYS[1])
if not units then return 3 end
if tonumber(units) > 0 then
  redis.call('DECR', KEYS[1])
  redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  return 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[2]) > 0 then return 2 end
return 0
"""

#: KEYS: the gate's two, then the attempts counter. ARGV: _TAKE's four, then the attempt limit
#: and the counter's lifetime (s). The rate limiter's script (api.ratelimit) before _TAKE:
#: past the limit, LIMITED (4) and nothing taken.
_COUNT_AND_TAKE = (
    """
local count = redis.call('INCR', KEYS[3])
if count == 1 then redis.call('EXPIRE', KEYS[3], ARGV[6]) end
if count > tonumber(ARGV[5]) then return 4 end
"""
    + _TAKE
)

#: ARGV: hold. The unit is free again, unless the count is gone (it will be seeded).
_GIVE_BACK = """
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCR', KEYS[1]) end
return 1
"""

#: ARGV: units, keep (s). Only when the drop has no count.
_SEED = """
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
return 1
"""

#: ARGV: units, now (ms), keep (s). Only when missing, or empty with no live hold.
_REFILL = """
local units = redis.call('GET', KEYS[1])
if units and tonumber(units) > 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""

KEEP_SECONDS = 24 * 3600
#: A hold lapses after this long (a claim's transaction takes milliseconds; a process that
#: died while holding a unit no longer keeps waiters waiting after it).
HOLD_MS = 10_000


def _now_ms() -> int:
    return int(time.time() * 1000)


def _encoded(value: str | int) -> bytes:
    """A script's key or argument as redis-py would send it (str as UTF-8, int in decimal):
    given as bytes, the crowd's take is not encoded again argument by argument."""
    return value.encode() if isinstance(value, str) else str(value).encode()


_HOLD_MS = _encoded(HOLD_MS)
_KEEP_SECONDS = _encoded(KEEP_SECONDS)


class RedisUnitCounter:
    """domain.drops.admission.UnitCounter on Redis."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self.prefix = prefix
        self._take = redis.register_script(_TAKE)
        self._count_and_take = redis.register_script(_COUNT_AND_TAKE)
        self._cluster = isinstance(redis, aioredis.RedisCluster)
        self._give_back = redis.register_script(_GIVE_BACK)
        self._seed = redis.register_script(_SEED)
        self._refill = redis.register_script(_REFILL)
        self._zrem = redis.zrem
        #: The keys of each drop met, encoded once.
        self._encoded_keys: dict[int, list[bytes]] = {}

    def key(self, drop_id: int) -> str:
        return f"{self.prefix}{{drop:{drop_id}}}:gate"

    def held_key(self, drop_id: int) -> str:
        return f"{self.prefix}{{drop:{drop_id}}}:held"

    def _keys(self, drop_id: int) -> list[str]:
        return [self.key(drop_id), self.held_key(drop_id)]

    def _take_keys(self, drop_id: int) -> list[bytes]:
        keys = self._encoded_keys.get(drop_id)
        if keys is None:
            keys = self._encoded_keys[drop_id] = [_encoded(k) for k in self._keys(drop_id)]
        return keys

    async def take(self, drop_id: int, hold: str, attempts: Attempts | None = None) -> Take:
        args = [_encoded(hold), _encoded(_now_ms()), _HOLD_MS, _KEEP_SECONDS]
        try:
            if attempts is None:
                answer = await self._take(keys=self._take_keys(drop_id), args=args)
            elif self._cluster:  # another slot: counted apart (RateLimited past the limit)
                await attempts.count()
                answer = await self._take(keys=self._take_keys(drop_id), args=args)
            else:
                answer = await self._count_and_take(
                    keys=[*self._take_keys(drop_id), _encoded(attempts.key)],
                    args=[*args, _encoded(attempts.limit), _encoded(attempts.expire_seconds)],
                )
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error
        return Take(int(answer))

    async def settle(self, drop_id: int, hold: str) -> None:
        try:
            await self._zrem(self.held_key(drop_id), hold)
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error

    async def give_back(self, drop_id: int, hold: str) -> None:
        try:
            await self._give_back(keys=self._keys(drop_id), args=[hold])
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error

    async def seed(self, drop_id: int, units: int) -> None:
        try:
            await self._seed(keys=[self.key(drop_id)], args=[units, KEEP_SECONDS])
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error

    async def refill(self, drop_id: int, units: int) -> bool:
        try:
            done = await self._refill(
                keys=self._keys(drop_id), args=[units, _now_ms(), KEEP_SECONDS]
            )
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error
        return bool(int(done))
