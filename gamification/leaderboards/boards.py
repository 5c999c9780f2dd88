"""What leaderboard use cases need besides the database: Redis, its key prefix, the program's
time zone, and the live notifications they start."""

from __future__ import annotations

import asyncio
import json
import logging
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from domain.versions import VersionReader
from gamification.leaderboards.definitions import BoardCatalogue
from gamification.leaderboards.store import BoardKey, LeaderboardStore
from gamification.leaderboards.throttle import publish_throttled

log = logging.getLogger("fidelio.leaderboards")

#: A change within this many ranks from the top is announced to subscribers.
TOP_WATCHED = 10
#: How long a closed period stays in Redis after it was archived.
CLOSED_PERIOD_RETENTION_SECONDS = 2 * 24 * 3600


class Boards:
    """Leaderboards' handle on Redis. `prefix` starts every key (the settings' redis prefix);
    `tz` is the program's time zone, in which periods close."""

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        tz: ZoneInfo,
        *,
        publish_interval_ms: int = 1000,
        retention_seconds: int = CLOSED_PERIOD_RETENTION_SECONDS,
        versions: VersionReader | None = None,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.tz = tz
        self.store = LeaderboardStore(redis, prefix)
        #: Board definitions kept in this process, checked against `versions`.
        self.catalogue = BoardCatalogue()
        self.versions = versions if versions is not None else VersionReader()
        self.publish_interval_ms = publish_interval_ms
        self.retention_seconds = retention_seconds
        self._publishing: set[asyncio.Task[None]] = set()

    def regions_key(self, code: str) -> str:
        """Hash member id -> the region the member is ranked in on board `code` (so a member
        who moves, or is erased, can be taken off the old region's boards)."""
        return f"{self.prefix}lbreg:{{{code}}}"

    def period_pattern(self, code: str, window: str, period: str) -> str:
        """SCAN pattern of the orderings of every region of one period of a board."""
        return f"{self.prefix}lb:{{{code}}}:{window.lower()}:{period}:*"

    def announce(self, board: BoardKey) -> None:
        """Tell subscribers that the board's top changed, throttled to one message per board
        per interval across processes. Runs as a task: the throttle may wait for its gate."""
        payload = json.dumps(
            {
                "code": board.code,
                "window": board.window.value,
                "period": board.period,
                "region": board.region,
            }
        )
        task = asyncio.create_task(self._publish(board, payload))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish(self, board: BoardKey, payload: str) -> None:
        try:
            await publish_throttled(
                self.redis, self.store.changes_channel(board), payload, self.publish_interval_ms
            )
        except Exception:  # a lost notification must not fail the score update
            log.exception("could not announce a change of board %s", board)

    async def announced(self) -> None:
        """Wait until every announcement started so far went out (tests, shutdown)."""
        while self._publishing:
            await asyncio.gather(*list(self._publishing), return_exceptions=True)
