"""Local calendar arithmetic: which day and ISO week an instant falls in for a member."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware `instant` on a wall clock in `tz`."""
    return instant.astimezone(tz).date()


def start_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant (in UTC) whose local date in `tz` is `day`.

    Where a DST change skips midnight the day starts at the change; where midnight happens
    twice it starts at the second one, since the hour before it still reads as the day before.
    """
    midnight = datetime.combine(day, time())
    # fold=0 reads a skipped or repeated wall time with the earlier offset, fold=1 with the
    # later: the later of the two instants is the start in both cases, and equal otherwise.
    return max(
        midnight.replace(tzinfo=tz, fold=0).astimezone(UTC),
        midnight.replace(tzinfo=tz, fold=1).astimezone(UTC),
    )


def day_number(day: date) -> int:
    """Consecutive integers for consecutive dates (the proleptic Gregorian ordinal)."""
    return day.toordinal()


def week_number(day: date) -> int:
    """Consecutive integers for consecutive ISO weeks (Monday first), across year ends.

    0001-01-01 was a Monday, so whole weeks counted from it are ISO weeks, and ISO week 53 of
    one year and week 1 of the next are simply two consecutive numbers.
    """
    return (day.toordinal() - 1) // 7
