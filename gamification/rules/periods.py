"""Challenge periods: the span whose progress counts, restarting with each recurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from gamification.rules.kinds import Recurrence
from gamification.rules.local_time import local_date, start_of_local_day


@dataclass(frozen=True)
class Period:
    """One period of a challenge: `[start, end)` in UTC, named by `key`.

    Keys: "all" (NONE), the local date "2026-03-29" (DAILY), the ISO week "2026-W13"
    (WEEKLY), the month "2026-03" (MONTHLY). Progress is kept per key, so it starts from zero
    in each period.
    """

    key: str
    start: datetime
    end: datetime


def period_bounds(
    recurrence: Recurrence,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    tz: ZoneInfo,
) -> Period | None:
    """The challenge period containing `now`, or None when `now` is outside
    `[starts_at, ends_at)`.

    NONE is the whole challenge; DAILY, WEEKLY and MONTHLY are the local day, ISO week (Monday
    first) and month in `tz` containing `now`, clipped to the challenge. Local days last 23 or
    25 hours across DST changes. To file an event, pass its `occurred_at` as `now`.

    Raises:
        ValueError: when a datetime is naive.
    """
    for moment in (starts_at, ends_at, now):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("period_bounds needs aware datetimes")
    recurrence = Recurrence(recurrence)
    starts_at, ends_at, now = (m.astimezone(UTC) for m in (starts_at, ends_at, now))
    if not starts_at <= now < ends_at:
        return None
    if recurrence is Recurrence.NONE:
        return Period(key="all", start=starts_at, end=ends_at)
    today = local_date(now, tz)
    first, after, key = _calendar_span(recurrence, today)
    return Period(
        key=key,
        start=max(starts_at, start_of_local_day(first, tz)),
        end=min(ends_at, start_of_local_day(after, tz)),
    )


#: The wall clocks of today's time zones lie between these offsets from UTC (tzdata: Etc/GMT+12
#: to Pacific/Kiritimati).
WESTMOST_OFFSET = timedelta(hours=-12)
EASTMOST_OFFSET = timedelta(hours=14)


def period_keys_in_any_zone(
    recurrence: Recurrence, starts_at: datetime, ends_at: datetime, now: datetime
) -> frozenset[str]:
    """The keys that `period_bounds(..., now, tz).key` may take whatever the zone `tz`, for
    zones whose offset at `now` lies within `WESTMOST_OFFSET` and `EASTMOST_OFFSET` (every zone
    of today's tzdata): those of the local dates from the westmost's to the eastmost's (at
    most three days; the local date only grows with the offset). Empty when `now` is outside
    `[starts_at, ends_at)`. What the progress of a member whose zone is not known yet may be
    read under."""
    recurrence = Recurrence(recurrence)
    now = now.astimezone(UTC)
    if not starts_at <= now < ends_at:
        return frozenset()
    if recurrence is Recurrence.NONE:
        return frozenset({"all"})
    day, last = (now + WESTMOST_OFFSET).date(), (now + EASTMOST_OFFSET).date()
    keys = set()
    while day <= last:
        keys.add(_calendar_span(recurrence, day)[2])
        day += timedelta(days=1)
    return frozenset(keys)


def _calendar_span(recurrence: Recurrence, today: date) -> tuple[date, date, str]:
    """The first day of the period containing `today`, the first day after it, and its key."""
    match recurrence:
        case Recurrence.DAILY:
            return today, today + timedelta(days=1), today.isoformat()
        case Recurrence.WEEKLY:
            monday = today - timedelta(days=today.weekday())
            iso = today.isocalendar()
            return monday, monday + timedelta(days=7), f"{iso.year}-W{iso.week:02d}"
        case Recurrence.MONTHLY:
            first = today.replace(day=1)
            after = (first + timedelta(days=31)).replace(day=1)
            return first, after, f"{today.year}-{today.month:02d}"
    raise ValueError(f"no calendar span for {recurrence}")
