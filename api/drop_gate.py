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
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

from api.redis_cluster import RedisClient
from domain.drops.admission import Attempts, CounterUnavailable, Take

KEEP_SECONDS = 24 * 3600
#: A hold lapses after this long (a claim's transaction takes milliseconds; a process that
#: died while holding a unit no longer keeps waiters waiting after it).
HOLD_MS = 10_000

#: ARGV: hold, now (ms). Answers a `Take`. The hold's lifetime and the keys' are written in
#: (constants: every argument is one more to encode and send per claim).
_TAKE = f"""
local units = redis.call('GET', KEYS[1])
if not units then return 3 end
if tonumber(units) > 0 then
  redis.call('DECR', KEYS[1])
  redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + {HOLD_MS}, ARGV[1])
  redis.call('EXPIRE', KEYS[2], {KEEP_SECONDS})
  return 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[2]) > 0 then return 2 end
return 0
"""

#: KEYS: the gate's two, then the attempts counter. ARGV: _TAKE's two. The rate limiter's
#: script (api.ratelimit) before _TAKE, its limit and its counter's lifetime (s) written in
#: (`_count_and_take`: one script per pair, and a process has one): past the limit, LIMITED
#: (4) and nothing taken.
_COUNT_AND_TAKE = (
    """
local count = redis.call('INCR', KEYS[3])
if count == 1 then redis.call('EXPIRE', KEYS[3], {expire}) end
if count > {limit} then return 4 end
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


def _now_ms() -> int:
    return int(time.time() * 1000)


def _encoded(value: str | int) -> bytes:
    """A script's key or argument as redis-py would send it (str as UTF-8, int in decimal):
    given as bytes, the crowd's take is not encoded again argument by argument."""
    return value.encode() if isinstance(value, str) else str(value).encode()


class _Evalsha:
    """A registered script sent as EVALSHA straight through the client's `execute_command`
    (redis-py's script object rebuilds its arguments and imports its pipeline classes at
    every call), loaded by the script object when the server does not know it. Not for a
    cluster client, whose scripts route by their keys through the script object."""

    def __init__(self, redis: aioredis.Redis, script: AsyncScript) -> None:
        self._redis = redis
        self._script = script
        self._sha = script.sha

    async def __call__(self, keys_and_args: list[bytes], numkeys: int) -> Any:
        try:
            execute: Callable[..., Awaitable[Any]] = self._redis.execute_command
            return await execute("EVALSHA", self._sha, numkeys, *keys_and_args)
        except NoScriptError:
            # the script object loads it (its sha is the text's: EVALSHA finds it next time)
            return await self._script(keys=keys_and_args[:numkeys], args=keys_and_args[numkeys:])


class RedisUnitCounter:
    """domain.drops.admission.UnitCounter on Redis."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self.prefix = prefix
        self._take = redis.register_script(_TAKE)
        #: The client, unless it is a cluster's (whose scripts go through `_take`).
        self._single = redis if isinstance(redis, aioredis.Redis) else None
        self._take_sha = None if self._single is None else _Evalsha(self._single, self._take)
        #: (limit, expire) -> the script counting with them and taking (a process has one).
        self._count_and_take: dict[tuple[int, int], _Evalsha] = {}
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
        keys_and_args = [*self._take_keys(drop_id), _encoded(hold), _encoded(_now_ms())]
        try:
            if self._take_sha is None:  # a cluster
                if attempts is not None:  # another slot: counted apart (RateLimited past it)
                    await attempts.count()
                answer = await self._take(keys=keys_and_args[:2], args=keys_and_args[2:])
            elif attempts is None:
                answer = await self._take_sha(keys_and_args, 2)
            else:
                keys_and_args.insert(2, _encoded(attempts.key))
                answer = await self._counting(attempts)(keys_and_args, 3)
        except (RedisError, OSError) as error:
            raise CounterUnavailable(str(error)) from error
        return Take(int(answer))

    def _counting(self, attempts: Attempts) -> _Evalsha:
        pair = (attempts.limit, attempts.expire_seconds)
        script = self._count_and_take.get(pair)
        if script is None:
            text = _COUNT_AND_TAKE.format(limit=pair[0], expire=pair[1])
            assert self._single is not None  # a cluster's client takes apart
            script = _Evalsha(self._single, self._single.register_script(text))
            self._count_and_take[pair] = script
        return script

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
