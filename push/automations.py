"""Automated messages: points about to expire, birthdays, win-backs of lapsed members.

Configurable and off unless the settings turn them on (off in production by default, on in
the demo). Each message is once per occasion: its dedupe key names the occasion (the expiry
batch, the birthday's year, the purchase the member lapsed after), and the bonus points go
in the same transaction as the notification that carries that key.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.functions import Max
from tortoise.transactions import in_transaction

from domain.events import record_event
from domain.members.models import Member
from domain.points.events import PointsExpiringSoon
from domain.purchases.models import Purchase
from push.bonus import MAX_BONUS_POINTS, award_bonus_to_many
from push.live import NotificationPublisher
from push.notifications.models import Notification
from push.notifications.rules import zone
from push.notifications.services import Draft, Recipient, notify_members
from push.notifications.templates import render

SCAN_PAGE = 2000
#: Birthdays and anniversaries are looked for this many days either side of the UTC date.
NEAR_DAYS = 2
#: Birth years per lookup (5 dates each: well under every database's limit of parameters).
YEARS_PER_LOOKUP = 40


@dataclass(frozen=True)
class AutomationSettings:
    enabled: bool = False
    #: Remind of expiring points this many days before they expire.
    expiring_days: int = 7
    birthday_points: int = 100
    #: Birthdays are celebrated from this local hour on (not at midnight).
    birthday_local_hour: int = 9
    #: A member who bought nothing for this many days is invited back, once per lapse.
    win_back_days: int = 60
    win_back_points: int = 0
    #: Only lapses this recent are acted on: turning automations on does not message every
    #: member who left years ago.
    win_back_window_days: int = 30

    def __post_init__(self) -> None:
        if self.expiring_days < 1:
            raise ValueError("expiring_days must be at least 1")
        if not 0 <= self.birthday_points <= MAX_BONUS_POINTS:
            raise ValueError("birthday_points out of range")
        if not 0 <= self.win_back_points <= MAX_BONUS_POINTS:
            raise ValueError("win_back_points out of range")
        if not 0 <= self.birthday_local_hour <= 23:
            raise ValueError("birthday_local_hour must be 0-23")
        if self.win_back_days < 1 or self.win_back_window_days < 1:
            raise ValueError("win-back days must be at least 1")


async def expiring_points_reminder_due(
    event: PointsExpiringSoon, now: datetime, settings: AutomationSettings
) -> bool:
    """Whether to remind now of the points `event` announces: automations on, the points not
    expired yet, and at most `expiring_days` before they expire. Too early, the event is
    recorded again to come back when it is time."""
    if not settings.enabled or event.expires_at <= now:
        return False
    remind_at = event.expires_at - timedelta(days=settings.expiring_days)
    if remind_at > now:
        await record_event(event, now, available_at=remind_at)
        return False
    return True


def is_birthday(birth_date: date, today: date) -> bool:
    """Whether `today` celebrates `birth_date`; 29 February is celebrated on the 28th in
    years without one."""
    if (birth_date.month, birth_date.day) == (today.month, today.day):
        return True
    return (
        (birth_date.month, birth_date.day) == (2, 29)
        and not calendar.isleap(today.year)
        and (today.month, today.day) == (2, 28)
    )


async def celebrate_birthdays(
    now: datetime, settings: AutomationSettings, publisher: NotificationPublisher
) -> int:
    """Wish members a happy birthday (with `birthday_points` bonus points) once a year, on
    their local birthday from `birthday_local_hour`; returns the members celebrated."""
    if not settings.enabled:
        return 0
    due: dict[int, list[int]] = defaultdict(list)  # year -> member ids
    for member_id, birth_date, time_zone in await _born_near(now.date()):
        local = now.astimezone(zone(time_zone))
        if local.time() >= time(settings.birthday_local_hour) and is_birthday(
            birth_date, local.date()
        ):
            due[local.year].append(member_id)
    celebrated = 0
    for year, member_ids in due.items():
        member_ids.sort()
        for start in range(0, len(member_ids), SCAN_PAGE):
            chunk = member_ids[start : start + SCAN_PAGE]
            points = settings.birthday_points
            template = "birthday" if points else "birthday_no_points"
            async with in_transaction():
                created = await notify_members(
                    chunk, _templated(template, {"points": points}), f"birthday:{year}", now
                )
                await award_bonus_to_many(
                    [n.member_id for n in created],
                    points,
                    "Happy birthday",
                    f"birthday:{year}",
                    now,
                )
            await publisher.publish(created)
            celebrated += len(created)
    return celebrated


def dates_near(day: date, years: Iterable[int], days: int = NEAR_DAYS) -> list[date]:
    """The dates within `days` of `day`'s month and day in each of `years` (29 February
    stands for the 28th in years without one). A member's local date is at most a day from
    the UTC date, so the dates near today's UTC date hold every local birthday of today."""
    near: set[date] = set()
    for year in years:
        try:
            same_day = day.replace(year=year)
        except ValueError:
            same_day = date(year, 2, 28)
        near.update(same_day + timedelta(days=k) for k in range(-days, days + 1))
    return sorted(near)


async def _born_near(today: date) -> list[tuple[int, date, str]]:
    """(id, birth date, time zone) of the members not erased whose birthday is within a few
    days of `today`: an indexed lookup of those dates in every birth year the members have,
    so the hourly job reads the day's birthdays, not every member."""
    oldest = (
        await Member.filter(birth_date__isnull=False)
        .order_by("birth_date")
        .first()
        .values_list("birth_date", flat=True)
    )
    if oldest is None:
        return []
    youngest = (
        await Member.filter(birth_date__isnull=False)
        .order_by("-birth_date")
        .first()
        .values_list("birth_date", flat=True)
    )
    years = list(range(oldest.year, youngest.year + 1))
    found: list[tuple[int, date, str]] = []
    for start in range(0, len(years), YEARS_PER_LOOKUP):
        dates = dates_near(today, years[start : start + YEARS_PER_LOOKUP])
        found += await Member.filter(birth_date__in=dates, erased_at__isnull=True).values_list(
            "id", "birth_date", "time_zone"
        )
    return found


async def win_back_lapsed_members(
    now: datetime, settings: AutomationSettings, publisher: NotificationPublisher
) -> int:
    """Invite back members whose last purchase is `win_back_days` old (within the window),
    once per lapse (a new purchase starts a new one); returns the members invited."""
    if not settings.enabled:
        return 0
    cutoff = now - timedelta(days=settings.win_back_days)
    oldest = cutoff - timedelta(days=settings.win_back_window_days)
    invited = 0
    after = 0
    while True:
        rows = (
            # Only the window's purchases are read (the index on occurred_at): a member whose
            # last purchase is in the window has it there, one who bought since too.
            await Purchase.filter(member_id__gt=after, occurred_at__gte=oldest)
            .annotate(last=Max("occurred_at"))
            .group_by("member_id")
            .filter(last__lt=cutoff, last__gte=oldest)
            .order_by("member_id")
            .limit(SCAN_PAGE)
            .values("member_id", "last")
        )
        if not rows:
            break
        after = rows[-1]["member_id"]
        lapses = {row["member_id"]: f"win-back:{_as_utc_key(row['last'])}" for row in rows}
        # Those already invited for this lapse (every later run until they buy again) are
        # left out in one read, instead of one transaction each that would change nothing.
        invited_before = set(
            await Notification.filter(
                member_id__in=list(lapses), dedupe_key__in=sorted(set(lapses.values()))
            ).values_list("member_id", "dedupe_key")
        )
        by_lapse: dict[str, list[int]] = defaultdict(list)
        for member_id, key in lapses.items():
            if (member_id, key) not in invited_before:
                by_lapse[key].append(member_id)
        points = settings.win_back_points
        template = "win_back_points" if points else "win_back"
        for key, member_ids in by_lapse.items():
            async with in_transaction():
                created = await notify_members(
                    member_ids, _templated(template, {"points": points}), key, now
                )
                await award_bonus_to_many(
                    [n.member_id for n in created], points, "Welcome back", key, now
                )
            await publisher.publish(created)
            invited += len(created)
    return invited


def _as_utc_key(moment: datetime | str) -> str:
    if isinstance(moment, str):  # SQLite hands aggregates back as text
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _templated(template: str, params: Mapping[str, Any]) -> Callable[[Recipient], Draft]:
    def compose(recipient: Recipient) -> Draft:
        text = render(template, recipient.locale, {**params, "name": recipient.name})
        return Draft(text.category, text.title, text.body, text.deep_link)

    return compose
