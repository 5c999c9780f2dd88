"""Closing periods: archive the final standings, pay the prizes once, let Redis forget.

`close_periods` runs on a schedule (hourly) in any number of workers. Each closed period of a
board's window is claimed by inserting its LeaderboardPeriodClose row (unique), in the same
transaction that archives every region's standings and credits the prizes; a second worker, or
a second run, finds the row and does nothing. Each prize is also unique per board, window,
period, region and rank (PrizeAward), so no code path can pay a rank twice. The standings are
computed from the database (the source of truth), ordered exactly as the live boards are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.achievements.events import LeaderboardPrizeAwarded
from domain.events import record_event
from domain.points import ledger
from domain.points.models import EntryKind
from domain.points.rules import earning_rules
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.definitions import windows_of
from gamification.leaderboards.metrics import PRIZE_REFERENCE_PREFIX, member_scores
from gamification.leaderboards.models import (
    NO_REGION,
    LeaderboardArchive,
    LeaderboardArchiveEntry,
    LeaderboardDefinition,
    LeaderboardMetric,
    LeaderboardPeriodClose,
    PrizeAward,
)
from gamification.leaderboards.periods import LeaderboardWindow, Period, previous_period
from gamification.leaderboards.rebuild import member_regions, split_by_region
from gamification.leaderboards.store import BoardKey, ScoreEntry, Standing

#: Periods closed this far back are still closed if no run closed them (a worker was down).
LOOKBACK_PERIODS = 3
_ARCHIVE_BATCH = 1_000


async def close_periods(boards: Boards, now: datetime) -> int:
    """Close every period that has ended (up to LOOKBACK_PERIODS back per window) and is not
    closed yet: archive its standings, pay its prizes, expire its Redis keys. Returns how many
    periods this call closed. Idempotent and safe to run in several workers at once.
    """
    closed = 0
    for definition in await LeaderboardDefinition.all().order_by("id"):
        for window in windows_of(definition):
            for period in _ended_periods(window, now, boards):
                assert period.end is not None
                if period.end <= definition.created_at:
                    break  # the board did not exist yet
                if await close_period(boards, definition, window, period, now):
                    closed += 1
    return closed


async def close_period(
    boards: Boards,
    definition: LeaderboardDefinition,
    window: LeaderboardWindow,
    period: Period,
    now: datetime,
) -> bool:
    """Archive and pay one ended period of a board's window, unless it was closed already;
    returns whether this call closed it."""
    already = await LeaderboardPeriodClose.exists(
        board_id=definition.id, window=window.value, period_key=period.key
    )
    if not already:
        scores = await member_scores(LeaderboardMetric(definition.metric), period)
        by_region = split_by_region(scores, await member_regions(definition))
        already = not await _archive_and_pay(definition, window, period, by_region, now)
    await _expire(boards, definition, window, period, only_unexpiring=already)
    return not already


async def archived_standings(
    code: str,
    window: LeaderboardWindow,
    period_key: str,
    region: str | None = None,
    first: int | None = None,
    offset: int = 0,
) -> list[Standing]:
    """The final standings of a closed period by rank, from rank `offset + 1`, at most `first`
    of them (all when None); empty when the period was not archived. One query."""
    rows = LeaderboardArchiveEntry.filter(
        archive__board__code=code,
        archive__window=window.value,
        archive__period_key=period_key,
        archive__region=region or NO_REGION,
        rank__gt=offset,
    ).order_by("rank")
    if first is not None:
        rows = rows.limit(first)
    return [Standing(r.rank, r.member_id, r.score, r.reached_at) for r in await rows]


def prize_reference(code: str, window: str, period_key: str, region: str | None, rank: int) -> str:
    """The ledger reference of a prize: prize:<board>:<window>:<period>:<region>:<rank>."""
    return f"{PRIZE_REFERENCE_PREFIX}{code}:{window}:{period_key}:{region or '_'}:{rank}"


def _ended_periods(window: LeaderboardWindow, now: datetime, boards: Boards) -> list[Period]:
    periods: list[Period] = []
    cursor = now
    for _ in range(LOOKBACK_PERIODS):
        period = previous_period(window, cursor, boards.tz)
        if period is None or period.start is None:
            break
        periods.append(period)
        cursor = period.start
    return periods


def _ranked(entries: list[ScoreEntry]) -> list[ScoreEntry]:
    # The boards' order: higher score, then who reached it first, then member id.
    return sorted(entries, key=lambda e: (-e.score, e.reached_at, e.member_id))


async def _archive_and_pay(
    definition: LeaderboardDefinition,
    window: LeaderboardWindow,
    period: Period,
    by_region: dict[str | None, list[ScoreEntry]],
    now: datetime,
) -> bool:
    async with in_transaction():
        try:
            async with in_transaction():
                await LeaderboardPeriodClose.create(
                    board_id=definition.id,
                    window=window.value,
                    period_key=period.key,
                    closed_at=now,
                )
        except IntegrityError:
            return False  # another worker closed it
        rules = await earning_rules()
        for region, entries in sorted(by_region.items(), key=lambda item: item[0] or ""):
            standings = _ranked(entries)
            archive = await LeaderboardArchive.create(
                board_id=definition.id,
                window=window.value,
                period_key=period.key,
                region=region or NO_REGION,
                period_start=period.start,
                period_end=period.end,
                total_entries=len(standings),
                archived_at=now,
            )
            await LeaderboardArchiveEntry.bulk_create(
                [
                    LeaderboardArchiveEntry(
                        archive_id=archive.id,
                        rank=rank,
                        member_id=entry.member_id,
                        score=entry.score,
                        reached_at=entry.reached_at,
                    )
                    for rank, entry in enumerate(standings, start=1)
                ],
                batch_size=_ARCHIVE_BATCH,
            )
            for rank, points in enumerate(definition.prize_points, start=1):
                if rank > len(standings):
                    break
                if points > 0:
                    expires_at = (
                        now + timedelta(days=rules.expiry_days) if rules.expiry_days else None
                    )
                    await _pay_prize(
                        definition, window, period, region, rank, standings[rank - 1].member_id,
                        int(points), expires_at, now,
                    )  # fmt: skip
    return True


async def _pay_prize(
    definition: LeaderboardDefinition,
    window: LeaderboardWindow,
    period: Period,
    region: str | None,
    rank: int,
    member_id: int,
    points: int,
    expires_at: datetime | None,
    now: datetime,
) -> None:
    try:
        async with in_transaction():
            entry = await ledger.credit(
                member_id,
                points,
                EntryKind.BONUS,
                f"Prize: {definition.name}, rank {rank}",
                now,
                expires_at=expires_at,
                reference=prize_reference(definition.code, window.value, period.key, region, rank),
            )
            await PrizeAward.create(
                board_id=definition.id,
                window=window.value,
                period_key=period.key,
                region=region or NO_REGION,
                rank=rank,
                member_id=member_id,
                points=points,
                entry_id=entry.id,
                awarded_at=now,
            )
            await record_event(
                LeaderboardPrizeAwarded(
                    member_id=member_id,
                    board_code=definition.code,
                    board_name=definition.name,
                    window=window.value,
                    period_key=period.key,
                    rank=rank,
                    points=points,
                    region=region,
                ),
                now,
            )
    except IntegrityError:
        return  # paid before: the savepoint took the credit back


async def _expire(
    boards: Boards,
    definition: LeaderboardDefinition,
    window: LeaderboardWindow,
    period: Period,
    *,
    only_unexpiring: bool,
) -> None:
    """Let the closed period's keys expire after the retention (keys already set to expire are
    left alone on later runs, so their deadline does not move)."""
    pattern = boards.period_pattern(definition.code, window.value, period.key)
    async for key in boards.redis.scan_iter(match=pattern, count=1000):
        text = key.decode() if isinstance(key, bytes) else key
        if only_unexpiring and await boards.redis.ttl(text) != -1:
            continue
        region = text[len(pattern) - 1 :]
        board = BoardKey(definition.code, window, period.key, None if region == "_" else region)
        await boards.store.expire_board(board, boards.retention_seconds)
