"""What leaderboard use cases need besides the database: Redis, its key prefix, the program's
time zone, and the live notifications they start."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from domain.versions import VersionReader
from gamification.leaderboards.definitions import BoardCatalogue
from gamification.leaderboards.periods import LeaderboardWindow
from gamification.leaderboards.store import BoardKey, LeaderboardStore
from gamification.leaderboards.throttle import publish_throttled

if TYPE_CHECKING:
    from gamification.leaderboards.services import OpenBoard

log = logging.getLogger("fidelio.leaderboards")

#: A change within this many ranks from the top is announced to subscribers.
TOP_WATCHED = 10
#: How long a closed period stays in Redis after it was archived.
CLOSED_PERIOD_RETENTION_SECONDS = 2 * 24 * 3600
#: Announcements Redis refused are tried again after this many seconds, doubling up to the
#: maximum while it keeps refusing.
REANNOUNCE_FIRST_DELAY_SECONDS = 0.5
REANNOUNCE_MAX_DELAY_SECONDS = 30.0


class Boards:
    """Leaderboards' handle on Redis. `prefix` starts every key (the settings' redis prefix);
    `tz` is the program's time zone, in which periods close."""

    def __init__(
        self,
        redis: aioredis.Redis | aioredis.RedisCluster,
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
        #: Boards opened for reading, by (code, window, region asked): reused while the
        #: versions read and the period are the same (services.open_board).
        self.opened: dict[tuple[str, LeaderboardWindow, str | None], OpenBoard] = {}
        self.versions = versions if versions is not None else VersionReader()
        self.publish_interval_ms = publish_interval_ms
        self.retention_seconds = retention_seconds
        self._publishing: set[asyncio.Task[bool]] = set()
        #: Boards whose latest announcement could not be published (Redis down, restarting):
        #: announced again, once each, when Redis answers. Insertion-ordered.
        self._unannounced: dict[BoardKey, None] = {}
        self._reannouncing: asyncio.Task[None] | None = None

    def regions_key(self, code: str) -> str:
        """Hash member id -> the region the member is ranked in on board `code` (so a member
        who moves, or is erased, can be taken off the old region's boards)."""
        return f"{self.prefix}lbreg:{{{code}}}"

    def period_pattern(self, code: str, window: str, period: str) -> str:
        """SCAN pattern of the orderings of every region of one period of a board."""
        return f"{self.prefix}lb:{{{code}}}:{window.lower()}:{period}:*"

    def announce(self, board: BoardKey) -> None:
        """Tell subscribers that the board's top changed, throttled to one message per board
        per interval across processes. Runs as a task: the throttle may wait for its gate.

        An announcement Redis refuses is not lost: the board is announced again once Redis
        answers (subscribers then read the board's current state, which the message names)."""
        task = asyncio.create_task(self._publish(board))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    @property
    def unannounced(self) -> list[BoardKey]:
        """Boards whose change is still to be announced, Redis having refused it so far."""
        return list(self._unannounced)

    async def _publish(self, board: BoardKey) -> bool:
        try:
            await publish_throttled(
                self.redis,
                self.store.changes_channel(board),
                _payload(board),
                self.publish_interval_ms,
            )
        except Exception as error:  # a lost notification must not fail the score update
            self._remember_unannounced(board, error)
            return False
        self._unannounced.pop(board, None)
        return True

    def _remember_unannounced(self, board: BoardKey, error: Exception) -> None:
        if not self._unannounced:
            log.warning(
                "could not announce a change of board %s (%s: %s); announcing it again once "
                "Redis answers",
                board,
                type(error).__name__,
                error,
            )
        else:
            log.debug("could not announce a change of board %s either", board)
        self._unannounced[board] = None
        if self._reannouncing is None or self._reannouncing.done():
            self._reannouncing = asyncio.create_task(self._reannounce())

    async def _reannounce(self) -> None:
        delay = REANNOUNCE_FIRST_DELAY_SECONDS
        while self._unannounced:
            await asyncio.sleep(delay)
            count = len(self._unannounced)
            for board in list(self._unannounced):
                try:
                    await publish_throttled(
                        self.redis,
                        self.store.changes_channel(board),
                        _payload(board),
                        self.publish_interval_ms,
                    )
                except Exception:
                    delay = min(delay * 2, REANNOUNCE_MAX_DELAY_SECONDS)
                    break
                self._unannounced.pop(board, None)
            else:
                log.info("announced the changes of %s boards Redis had refused", count)
                delay = REANNOUNCE_FIRST_DELAY_SECONDS

    async def announced(self) -> None:
        """Wait until every announcement started so far went out or failed (tests, shutdown);
        failed ones are in `unannounced` until Redis takes them."""
        while self._publishing:
            await asyncio.gather(*list(self._publishing), return_exceptions=True)

    async def close(self) -> None:
        """Stop announcing again (the runtime's stop); what is still unannounced is logged."""
        if self._reannouncing is not None:
            self._reannouncing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reannouncing
            self._reannouncing = None
        if self._unannounced:
            log.warning("stopping with %s board changes never announced", len(self._unannounced))


def _payload(board: BoardKey) -> str:
    return json.dumps(
        {
            "code": board.code,
            "window": board.window.value,
            "period": board.period,
            "region": board.region,
        }
    )
