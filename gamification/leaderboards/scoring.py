"""Live score updates: a member's score is SET from the database's aggregate, never added to.

Outbox handlers call `refresh_member_scores` after a purchase, a refund, points earned or
reversed, or a challenge completed. Delivery is at least once, and setting a score from the
database is idempotent, so a redelivered event changes nothing. A member erased is taken off
every board still kept in Redis.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

from domain.members.models import Member
from gamification.leaderboards.boards import TOP_WATCHED, Boards
from gamification.leaderboards.definitions import windows_of
from gamification.leaderboards.metrics import member_scores
from gamification.leaderboards.models import (
    LeaderboardDefinition,
    LeaderboardMetric,
    LeaderboardPeriodClose,
)
from gamification.leaderboards.periods import LeaderboardWindow, Period, period_for
from gamification.leaderboards.regions import member_region
from gamification.leaderboards.store import BoardKey, ScoreApplied, ScoreEntry, ScoreUpdate


async def refresh_member_scores(
    boards: Boards,
    member_id: int,
    metrics: Collection[LeaderboardMetric],
    at: datetime,
    now: datetime,
    *,
    regional_only: bool = False,
    definitions: Sequence[LeaderboardDefinition] | None = None,
) -> int:
    """Set the member's score, from the database, on every board ranking one of `metrics`, for
    the periods containing `at` (when the scored activity happened), unless such a period is
    already closed and archived, or ended too long ago to be kept. Announces boards whose top
    changed. Returns how many boards changed. Raises nothing for unknown members (the event
    may outlive them). `regional_only`: only the boards ranked per region (a member moved).
    `definitions`: the boards, when the caller read them already (for a batch of events).
    """
    if definitions is None:
        definitions = await boards_ranking(metrics)
    else:
        definitions = [d for d in definitions if LeaderboardMetric(d.metric) in metrics]
    if regional_only:
        definitions = [d for d in definitions if d.region_field is not None]
    if not definitions:
        return 0
    member = await Member.get_or_none(id=member_id)
    if member is None:
        return 0
    if member.erased_at is not None:
        await erase_member_from_boards(boards, member_id, now)
        return 0
    closed = await _closed(definitions, at, now, boards)
    scores: dict[tuple[LeaderboardMetric, str], ScoreEntry | None] = {}
    changed = 0
    for definition in definitions:
        metric = LeaderboardMetric(definition.metric)
        region = member_region(definition, member)
        if definition.region_field is not None:
            await _follow_region(boards, definition, member_id, region, at, now)
            if region is None:
                continue
        for window in windows_of(definition):
            period = period_for(window, at, boards.tz)
            if (definition.id, window.value, period.key) in closed:
                continue
            if period not in kept_periods(window, now, boards):
                continue  # long closed: no board of it is kept any more
            if period.end is not None and period.end <= definition.created_at:
                continue  # ended before the board existed: never shown, never closed
            key = (metric, f"{window.value}:{period.key}")
            if key not in scores:
                found = await member_scores(metric, period, [member_id])
                scores[key] = found.get(member_id)
            board = BoardKey(definition.code, window, period.key, region)
            if await _apply(boards, board, member_id, scores[key], period.contains(now)):
                changed += 1
    return changed


async def boards_ranking(metrics: Collection[LeaderboardMetric]) -> list[LeaderboardDefinition]:
    """The boards that rank one of `metrics`."""
    return await LeaderboardDefinition.filter(metric__in=list(metrics))


async def refresh_scores_of_batch(
    boards: Boards,
    scored: Iterable[tuple[int, datetime]],
    metrics: Collection[LeaderboardMetric],
    now: datetime,
    definitions: Sequence[LeaderboardDefinition],
) -> int:
    """`refresh_member_scores` for a batch of (member, when the scored activity happened) with
    the database read per batch, not per event: the members in one query, each board period's
    scores of all its members in one query; then each changed score set in Redis. Boards ranked
    per region go member by member (a member's region may have moved). Returns how many board
    entries changed."""
    relevant = [d for d in definitions if LeaderboardMetric(d.metric) in metrics]
    if not relevant:
        return 0
    ats: dict[int, set[datetime]] = {}
    for member_id, at in scored:
        ats.setdefault(member_id, set()).add(at)
    if not ats:
        return 0
    changed = 0
    regional = [d for d in relevant if d.region_field is not None]
    if regional:
        # Regional boards need the member's row (their region); without them, no read: the
        # scores leave erased members out, so their entries are removed like any zero score
        # (and MemberErased takes them off every other board and period).
        members = {m.id: m for m in await Member.filter(id__in=list(ats))}
        for member_id in list(ats):
            member = members.get(member_id)
            if member is None or member.erased_at is not None:
                if member is not None:
                    await erase_member_from_boards(boards, member_id, now)
                del ats[member_id]
    for member_id, member_ats in ats.items() if regional else ():
        for at in member_ats:
            changed += await refresh_member_scores(
                boards, member_id, metrics, at, now, definitions=regional
            )
    everyone = [d for d in relevant if d.region_field is None]
    # Which members each board period needs, and each period's scores read once for all.
    wanted: dict[tuple[LeaderboardDefinition, LeaderboardWindow, Period], set[int]] = {}
    closed: set[tuple[int, str, str]] = set()
    # An activity can only fall in a period that has ended if it happened before the start of
    # some window's current period: the others need no look for closed periods.
    current_starts = [
        start
        for definition in everyone
        for window in windows_of(definition)
        if (start := period_for(window, now, boards.tz).start) is not None
    ]
    latest_start = max(current_starts, default=None)
    for at in {at for member_ats in ats.values() for at in member_ats}:
        if latest_start is not None and at < latest_start:
            closed |= await _closed(everyone, at, now, boards)
    # The periods still kept, once a window for the whole batch.
    kept = {
        window: kept_periods(window, now, boards)
        for definition in everyone
        for window in windows_of(definition)
    }
    for member_id, member_ats in ats.items():
        for at in member_ats:
            for definition in everyone:
                for window in windows_of(definition):
                    period = period_for(window, at, boards.tz)
                    if (definition.id, window.value, period.key) in closed:
                        continue
                    if period not in kept[window]:
                        continue
                    if period.end is not None and period.end <= definition.created_at:
                        continue
                    wanted.setdefault((definition, window, period), set()).add(member_id)
    scores: dict[tuple[LeaderboardMetric, str], dict[int, ScoreEntry]] = {}
    updates: list[ScoreUpdate] = []
    for (definition, window, period), member_ids in wanted.items():
        metric = LeaderboardMetric(definition.metric)
        key = (metric, f"{window.value}:{period.key}")
        if key not in scores:
            needed = sorted(
                {m for (d, w, p), ms in wanted.items() if d.metric == definition.metric
                 and f"{w.value}:{p.key}" == key[1] for m in ms}
            )  # fmt: skip
            scores[key] = await member_scores(metric, period, needed)
        board = BoardKey(definition.code, window, period.key, None)
        live = period.contains(now)
        updates.extend(
            ScoreUpdate(board, member_id, scores[key].get(member_id), watch=live)
            for member_id in sorted(member_ids)
        )
    # Every score of the batch set in one Redis round trip; boards whose top moved announced.
    for update, applied in zip(updates, await boards.store.apply_scores(updates), strict=True):
        changed += _announced(boards, update, applied)
    return changed


async def erase_member_from_boards(boards: Boards, member_id: int, now: datetime) -> int:
    """Take the member off every board and period still kept in Redis; returns on how many
    boards the member was."""
    removed = 0
    for definition in await LeaderboardDefinition.all():
        regions: list[str | None] = [None]
        if definition.region_field is not None:
            known = await boards.redis.hget(boards.regions_key(definition.code), str(member_id))
            regions = [_text(known)] if known is not None else []
        keys = [
            BoardKey(definition.code, window, period.key, region)
            for region in regions
            for window in windows_of(definition)
            for period in kept_periods(window, now, boards)
        ]
        removed += await boards.store.remove_member_everywhere(member_id, keys)
        if definition.region_field is not None:
            await boards.redis.hdel(boards.regions_key(definition.code), str(member_id))
    return removed


def kept_periods(window: LeaderboardWindow, now: datetime, boards: Boards) -> list[Period]:
    """The periods of `window` that may still be in Redis: the current one and those closed
    recently enough not to have expired yet."""
    periods = [period_for(window, now, boards.tz)]
    horizon = now - timedelta(seconds=boards.retention_seconds) - timedelta(days=1)
    while periods[-1].start is not None and periods[-1].start > horizon:
        periods.append(period_for(window, periods[-1].start - timedelta(microseconds=1), boards.tz))
    return periods


async def _apply(
    boards: Boards, board: BoardKey, member_id: int, entry: ScoreEntry | None, live: bool
) -> bool:
    update = ScoreUpdate(board, member_id, entry, watch=live)
    [applied] = await boards.store.apply_scores([update])
    return _announced(boards, update, applied)


def _announced(boards: Boards, update: ScoreUpdate, applied: ScoreApplied) -> bool:
    """Whether the update changed the board; a watched change that moved the board's top
    (the member's rank before or after in it) is announced."""
    if not applied.changed:
        return False
    ranks = (applied.rank_before, applied.rank_after)
    if update.watch and any(r is not None and r <= TOP_WATCHED for r in ranks):
        boards.announce(update.board)
    return True


async def _follow_region(
    boards: Boards,
    definition: LeaderboardDefinition,
    member_id: int,
    region: str | None,
    at: datetime,
    now: datetime,
) -> None:
    """Move the member off the boards of the region they were ranked in before, if it changed."""
    key = boards.regions_key(definition.code)
    previous = await boards.redis.hget(key, str(member_id))
    old = _text(previous) if previous is not None else None
    if old == region:
        return
    if old is not None:
        stale = [
            BoardKey(definition.code, window, period.key, old)
            for window in windows_of(definition)
            for period in {period_for(window, now, boards.tz), period_for(window, at, boards.tz)}
        ]
        await boards.store.remove_member_everywhere(member_id, stale)
    if region is None:
        await boards.redis.hdel(key, str(member_id))
    else:
        await boards.redis.hset(key, str(member_id), region)


async def _closed(
    definitions: Iterable[LeaderboardDefinition], at: datetime, now: datetime, boards: Boards
) -> set[tuple[int, str, str]]:
    """The (board, window, period) of `at` that ended before `now` and were closed already."""
    ended = {
        (d.id, w.value, p.key)
        for d in definitions
        for w in windows_of(d)
        if (p := period_for(w, at, boards.tz)).end is not None and p.end <= now
    }
    if not ended:
        return set()
    rows = await LeaderboardPeriodClose.filter(
        board_id__in=[b for b, _, _ in ended], period_key__in=[k for _, _, k in ended]
    ).values_list("board_id", "window", "period_key")
    return {(int(b), str(w), str(k)) for b, w, k in rows} & ended


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
