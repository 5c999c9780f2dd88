"""Per-caller rate limits on hot mutations, counted in Redis.

A fixed window per caller and operation: `INCR` a key named after the window, `EXPIRE` it with
the window when it is new (one round trip, one small Lua script), and refuse once the count passes the limit. A member
hammering `claimDrop` gets RATE_LIMITED as a userError straight away, before any database work,
so the crowd does not slow the server down for everyone (`attempts` hands the same count to
the drops' admission gate, which bumps it in its own script: one round trip for both). Every
process shares the counters
through Redis. If Redis is unreachable the limit is not enforced (logged): the database
remains the judge of stock and limits, and Redis holds nothing that matters beyond counters.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

from redis.exceptions import RedisError

from api.redis_cluster import RedisClient
from domain.drops.admission import Attempts
from domain.errors import RateLimited

log = logging.getLogger("fidelio.ratelimit")

#: ARGV: the window's seconds + 1. The count of this request.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class Limit:
    #: Requests allowed per window; 0 turns the limit off.
    requests: int
    window_seconds: int


class RateLimiter:
    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._hit = redis.register_script(_HIT)

    async def hit(self, operation: str, caller: str, limit: Limit, now: float | None = None) -> int:
        """Count one request of `caller` for `operation`; raises RateLimited past the limit.
        Returns the count in the current window (0 when not counted)."""
        if limit.requests <= 0:
            return 0
        moment = time.time() if now is None else now
        window = int(moment // limit.window_seconds)
        try:
            count = await self._hit(
                keys=[self._key(operation, caller, window)], args=[limit.window_seconds + 1]
            )
        except (RedisError, OSError):
            log.warning("rate limit of %s not enforced: Redis unavailable", operation)
            return 0
        if int(count) > limit.requests:
            raise _refusal(limit, window, moment)
        return int(count)

    def attempts(
        self, operation: str, caller: str, limit: Limit, now: float | None = None
    ) -> Attempts | None:
        """The count `hit` would make, for a caller that may bump it in a script of its own
        (the drops' admission gate); None when the limit is off."""
        if limit.requests <= 0:
            return None
        moment = time.time() if now is None else now
        window = int(moment // limit.window_seconds)
        return Attempts(
            key=self._key(operation, caller, window),
            limit=limit.requests,
            expire_seconds=limit.window_seconds + 1,
            refuse=partial(_refusal, limit, window, moment),
            count=partial(self.hit, operation, caller, limit, moment),
        )

    def _key(self, operation: str, caller: str, window: int) -> str:
        return f"{self.prefix}ratelimit:{operation}:{caller}:{window}"


def _refusal(limit: Limit, window: int, moment: float) -> RateLimited:
    retry_in = max(1, round((window + 1) * limit.window_seconds - moment))
    return RateLimited(f"Too many attempts: try again in {retry_in} s.", retry_after=retry_in)
