"""The drops' admission gate counter in Redis (domain.drops.admission.UnitCounter).

One key per drop, `{prefix}{drop:ID}:gate`, holding the units still admittable; the braces are a
Redis Cluster hash tag, so a drop's keys stay in one slot. Each operation is one Lua script, so
that reading and changing the count is atomic across every process. The count is derived from
the database (the domain seeds and refills it) and expires a day after its last refill: losing
it loses nothing. Any Redis failure is CounterUnavailable: the domain then claims through the
database alone.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from domain.drops.admission import CounterUnavailable

#: 1 taken, 0 none left, -1 no count (to be seeded from the database).
_TAKE = """
local units = redis.call('GET', KEYS[1])
if not units then return -1 end
if tonumber(units) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1
"""

#: A unit back, unless the count is gone (it will be seeded from the database).
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
return -1
"""

#: Set the count when missing or empty; a positive count (another process refilled) stays.
_REFILL = """
local units = redis.call('GET', KEYS[1])
if units and tonumber(units) > 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""

KEEP_SECONDS = 24 * 3600


class RedisUnitCounter:
    """domain.drops.admission.UnitCounter on Redis."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.prefix = prefix
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)
        self._refill = redis.register_script(_REFILL)

    def key(self, drop_id: int) -> str:
        return f"{self.prefix}{{drop:{drop_id}}}:gate"

    async def take(self, drop_id: int) -> int | None:
        try:
            taken = int(await self._take(keys=[self.key(drop_id)]))
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error
        return None if taken < 0 else taken

    async def give_back(self, drop_id: int) -> None:
        try:
            await self._give_back(keys=[self.key(drop_id)])
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error

    async def refill(self, drop_id: int, units: int) -> bool:
        try:
            done = await self._refill(keys=[self.key(drop_id)], args=[units, KEEP_SECONDS])
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error
        return bool(int(done))
