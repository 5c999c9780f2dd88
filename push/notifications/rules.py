"""The rules a push must pass, as plain functions: preferences, quiet hours, the daily cap.

Quiet hours and the day of the cap follow the member's time zone. The feed row is written
whatever these rules say: they only decide whether, and when, the phone buzzes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from push.notifications.models import NotificationCategory

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DEFAULT_MAX_PUSHES_PER_DAY = 5
MAX_PUSHES_PER_DAY_LIMIT = 50


@dataclass(frozen=True)
class PushPreferences:
    """A member's push preferences, or the defaults when they never set any."""

    push_enabled: bool = True
    categories: frozenset[NotificationCategory] = frozenset(NotificationCategory)
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    max_pushes_per_day: int = DEFAULT_MAX_PUSHES_PER_DAY


class Verdict(StrEnum):
    PUSH = "PUSH"
    HOLD = "HOLD"
    SKIP = "SKIP"


@dataclass(frozen=True)
class PushDecision:
    """Whether to push now, later (`at`, the end of the quiet hours) or not at all."""

    verdict: Verdict
    at: datetime | None = None
    reason: str | None = None


def parse_hhmm(text: str) -> time | None:
    """ "07:30" -> time(7, 30); None for anything that is not a 24-hour HH:MM."""
    match = HHMM.match(text)
    return time(int(match[1]), int(match[2])) if match else None


def format_hhmm(value: time | None) -> str | None:
    return None if value is None else f"{value.hour:02d}:{value.minute:02d}"


def zone(name: str) -> ZoneInfo:
    """The member's time zone; UTC if the stored name is unknown (never fail a push on it)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local wall-clock time falls in [start, end); start > end crosses midnight."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end_after(moment: datetime, tz: ZoneInfo, start: time, end: time) -> datetime:
    """The UTC instant the quiet hours holding `moment` end (the next local `end`).

    Raises ValueError if `moment` is not in the quiet hours.
    """
    local = moment.astimezone(tz)
    if not in_quiet_hours(local.time(), start, end):
        raise ValueError("not in quiet hours")
    day = local.date()
    if local.time() >= end:  # before midnight in a window that crosses it
        day += timedelta(days=1)
    return _local_instant(day, end, tz)


def local_day_bounds(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the member's local day holding `moment` (23 or 25 hours on the
    days clocks change)."""
    day = moment.astimezone(tz).date()
    return _local_instant(day, time(0), tz), _local_instant(day + timedelta(days=1), time(0), tz)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time. fold=0 (PEP 495) reads a time skipped by
    a clock change with the offset before it, which lands just after the gap, and a repeated
    time as its first occurrence."""
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def decide_push(
    preferences: PushPreferences,
    category: NotificationCategory,
    now: datetime,
    tz: ZoneInfo,
    pushes_on_day: dict[date, int],
) -> PushDecision:
    """Whether a notification of `category` created at `now` is pushed now, held until the
    member's quiet hours end, or kept to the feed.

    `pushes_on_day` counts the member's pushes already due on each local day (creation or
    release day); a held push counts toward the day it will go out.
    """
    if not preferences.push_enabled:
        return PushDecision(Verdict.SKIP, reason="push disabled")
    if category not in preferences.categories:
        return PushDecision(Verdict.SKIP, reason="category off")
    at, verdict, reason = now, Verdict.PUSH, None
    start, end = preferences.quiet_hours_start, preferences.quiet_hours_end
    if (
        start is not None
        and end is not None
        and in_quiet_hours(now.astimezone(tz).time(), start, end)
    ):
        at, verdict, reason = (
            quiet_hours_end_after(now, tz, start, end),
            Verdict.HOLD,
            "quiet hours",
        )
    if pushes_on_day.get(local_date(at, tz), 0) >= preferences.max_pushes_per_day:
        return PushDecision(Verdict.SKIP, reason="daily cap")
    return PushDecision(verdict, at=at, reason=reason)
