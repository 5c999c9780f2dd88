"""Recreating boards from the database (`fidelio leaderboards rebuild`): Redis is derived state.

A rebuild writes each board of the current periods from the same aggregates the live updates
use, so a rebuilt board equals the live one, ties included. Each board is swapped in at once;
updates that land on a board while it is rebuilt are lost, so rebuild while the dispatcher is
paused, or let later events set those scores again (setting is idempotent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from domain.members.models import Member
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.definitions import windows_of
from gamification.leaderboards.metrics import member_scores
from gamification.leaderboards.models import LeaderboardDefinition, LeaderboardMetric, RegionField
from gamification.leaderboards.periods import LeaderboardWindow, period_for
from gamification.leaderboards.regions import normalise_region
from gamification.leaderboards.store import BoardKey, ScoreEntry

_HASH_BATCH = 5_000
#: How long one process may hold the right to restore the boards before another may take over.
_RESTORE_LOCK_SECONDS = 600


def built_key(boards: Boards) -> str:
    """The marker saying this Redis holds boards rebuilt (or kept live) from the database."""
    return f"{boards.prefix}leaderboards:built"


async def rebuild_all(
    boards: Boards, now: datetime, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recreate the current period of every board, window and region from the database, then
    set the built marker; returns how many entries were written. `progress(done, total)`
    hears of each board rebuilt."""
    written = 0
    definitions = await LeaderboardDefinition.all().order_by("code")
    for done, definition in enumerate(definitions, start=1):
        written += await rebuild_board(boards, definition, now)
        if progress is not None:
            progress(done, len(definitions))
    await boards.redis.set(built_key(boards), now.isoformat())
    return written


async def restore_if_missing(boards: Boards, now: datetime) -> int | None:
    """Rebuild every board when this Redis has never held them (the embedded stand-in at each
    start, a flushed or new Redis): one EXISTS otherwise. Among processes starting together one
    rebuilds, the others go on (a lock with a timeout). Returns the entries written, or None
    when nothing had to be done."""
    if await boards.redis.exists(built_key(boards)):
        return None
    lock = f"{built_key(boards)}:restoring"
    if not await boards.redis.set(lock, "1", nx=True, ex=_RESTORE_LOCK_SECONDS):
        return None
    try:
        return await rebuild_all(boards, now)
    finally:
        await boards.redis.delete(lock)


async def rebuild_board(boards: Boards, definition: LeaderboardDefinition, now: datetime) -> int:
    """Recreate the current period of each window and region of one board (boards of regions
    with nobody left are deleted); returns how many entries were written."""
    regions = await member_regions(definition)
    metric = LeaderboardMetric(definition.metric)
    written = 0
    ranked_regions: dict[str, str] = {}
    for window in windows_of(definition):
        period = period_for(window, now, boards.tz)
        by_region = split_by_region(await member_scores(metric, period), regions)
        stale = await _regions_in_redis(boards, definition.code, window, period.key)
        for region, entries in by_region.items():
            board = BoardKey(definition.code, window, period.key, region)
            written += await boards.store.replace_all(board, entries)
            boards.announce(board)
            if region is not None:
                ranked_regions.update((str(e.member_id), region) for e in entries)
        for region in stale - set(by_region):
            await boards.store.replace_all(
                BoardKey(definition.code, window, period.key, region), []
            )
    if definition.region_field is not None:
        await _replace_hash(boards, boards.regions_key(definition.code), ranked_regions)
    else:
        await boards.redis.delete(boards.regions_key(definition.code))
    await _drop_windows_not_kept(boards, definition)
    return written


async def member_regions(definition: LeaderboardDefinition) -> dict[int, str] | None:
    """Member id -> region key for a board with regions (members without one are left out);
    None for a board without regions."""
    if definition.region_field is None:
        return None
    field = RegionField(definition.region_field)
    column = "country" if field is RegionField.COUNTRY else "city"
    rows = await Member.filter(erased_at__isnull=True, **{f"{column}__isnull": False}).values_list(
        "id", column
    )
    found = {int(member_id): normalise_region(field, value) for member_id, value in rows}
    return {member_id: region for member_id, region in found.items() if region is not None}


def split_by_region(
    scores: dict[int, ScoreEntry], regions: dict[int, str] | None
) -> dict[str | None, list[ScoreEntry]]:
    """Scores grouped by the board they belong on (key None: the board has no regions)."""
    if regions is None:
        return {None: list(scores.values())} if scores else {}
    grouped: dict[str | None, list[ScoreEntry]] = defaultdict(list)
    for member_id, entry in scores.items():
        region = regions.get(member_id)
        if region is not None:
            grouped[region].append(entry)
    return dict(grouped)


async def _regions_in_redis(
    boards: Boards, code: str, window: LeaderboardWindow, period: str
) -> set[str | None]:
    pattern = boards.period_pattern(code, window.value, period)
    found: set[str | None] = set()
    async for key in boards.redis.scan_iter(match=pattern, count=1000):
        text = key.decode() if isinstance(key, bytes) else key
        region = text[len(pattern) - 1 :]
        found.add(None if region == "_" else region)
    return found


async def _drop_windows_not_kept(boards: Boards, definition: LeaderboardDefinition) -> None:
    """Delete the boards of windows the definition no longer keeps (after an admin change)."""
    kept = {w.value.lower() for w in windows_of(definition)}
    for kind in ("lb", "lbm"):
        pattern = f"{boards.prefix}{kind}:{{{definition.code}}}:*"
        stale = []
        async for key in boards.redis.scan_iter(match=pattern, count=1000):
            text = key.decode() if isinstance(key, bytes) else key
            window = text[len(pattern) - 1 :].split(":", 1)[0]
            if window not in kept:
                stale.append(text)
        if stale:
            await boards.redis.delete(*stale)


async def _replace_hash(boards: Boards, key: str, mapping: dict[str, str]) -> None:
    items = list(mapping.items())
    async with boards.redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        for start in range(0, len(items), _HASH_BATCH):
            pipe.hset(key, mapping=dict(items[start : start + _HASH_BATCH]))
        await pipe.execute()
