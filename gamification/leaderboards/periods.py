"""Leaderboard windows and their periods, which close at midnight in the program's time zone.

A period is half-open, `[start, end)`, with both bounds aware datetimes in UTC. Days start at the
first instant whose wall clock in the program's zone shows that date, so a day can last 23, 24
or 25 hours (or none, when a zone skipped a date); ISO weeks start on Monday; `ALL_TIME` never
closes. Periods of a window tile time: each one's `end` is the next one's `start`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

ALL_TIME_KEY = "all"
_MICROSECOND = timedelta(microseconds=1)


class LeaderboardWindow(StrEnum):
    """How long a board's period lasts; values match the GraphQL enum `LeaderboardWindow`."""

    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    ALL_TIME = "ALL_TIME"


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a window: `key` names it in Redis keys and archives, e.g. `2026-01-15`,
    `2026-W03`, `2026-01` or `all`; `start`/`end` (UTC, end excluded) are None for ALL_TIME."""

    key: str
    start: datetime | None
    end: datetime | None

    def contains(self, at: datetime) -> bool:
        """Whether the aware instant `at` falls inside the period."""
        _require_aware(at)
        if self.start is not None and at < self.start:
            return False
        return self.end is None or at < self.end


def period_for(window: LeaderboardWindow, at: datetime, tz: ZoneInfo) -> Period:
    """The period of `window` that contains the aware instant `at`, closing in the zone `tz`.

    Raises ValueError when `at` is naive.
    """
    _require_aware(at)
    if window is LeaderboardWindow.ALL_TIME:
        return Period(ALL_TIME_KEY, None, None)
    day = _local_day(at, tz)
    if window is LeaderboardWindow.DAILY:
        first, after = day, day + timedelta(days=1)
        key = first.isoformat()
    elif window is LeaderboardWindow.WEEKLY:
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
        iso = first.isocalendar()
        key = f"{iso.year:04d}-W{iso.week:02d}"
    elif window is LeaderboardWindow.MONTHLY:
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        key = f"{first.year:04d}-{first.month:02d}"
    else:  # pragma: no cover - the enum is closed
        raise ValueError(f"unknown leaderboard window {window!r}")
    return Period(key, start_of_local_day(first, tz), start_of_local_day(after, tz))


def previous_period(window: LeaderboardWindow, at: datetime, tz: ZoneInfo) -> Period | None:
    """The period of `window` just before the one containing `at` (the one that closed last);
    None for ALL_TIME, which never closes.

    Raises ValueError when `at` is naive.
    """
    current = period_for(window, at, tz)
    if current.start is None:
        return None
    return period_for(window, current.start - _MICROSECOND, tz)


def start_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the wall clock in `tz` shows `day` or a later date."""
    wall = datetime.combine(day, time(), tzinfo=tz)
    # fold=0 is the first occurrence of an ambiguous midnight (clocks went back over it).
    first = wall.replace(fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return first
    # Midnight does not exist: clocks jumped forward over it, so the day starts at the jump.
    # zoneinfo maps a missing wall time to an instant after the jump (fold=0) and one before
    # it (fold=1); the jump is found between them by bisection, to the microsecond.
    before, after = wall.replace(fold=1).astimezone(UTC), first
    if _wall_date(before, tz) >= day:  # pragma: no cover - defensive, not seen in tzdata
        return before
    while after - before > _MICROSECOND:
        middle = before + (after - before) // 2
        if _wall_date(middle, tz) >= day:
            after = middle
        else:
            before = middle
    return after


def _local_day(at: datetime, tz: ZoneInfo) -> date:
    day = _wall_date(at, tz)
    # Were clocks to go back from after midnight to before it, the wall clock would show
    # yesterday's date again after today began; such an instant belongs to today, so that
    # periods stay contiguous and contain every instant that maps to them. (Going back from
    # midnight exactly, as Sao Paulo did, needs no help: that repeated hour is yesterday's.)
    tomorrow = day + timedelta(days=1)
    if start_of_local_day(tomorrow, tz) <= at:
        return tomorrow
    return day


def _wall_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("leaderboard periods need an aware datetime")
