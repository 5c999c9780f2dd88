"""Automations: birthday bonuses once a year, win-backs once per lapse, off unless enabled."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.members.models import Member
from domain.points import ledger
from domain.purchases.models import Channel, Purchase
from push.automations import (
    AutomationSettings,
    celebrate_birthdays,
    is_birthday,
    win_back_lapsed_members,
)
from push.live import NoLiveFeed
from push.notifications.models import Notification, NotificationCategory
from tests.integration.push_support import member

pytestmark = pytest.mark.usefixtures("db")

ON = AutomationSettings(enabled=True, birthday_points=100, win_back_days=60, win_back_points=50)


async def born(customer_id: str, birth_date: date, time_zone: str = "UTC", **kw: object) -> Member:
    created = await member(customer_id, datetime(2025, 1, 1, tzinfo=UTC), time_zone=time_zone, **kw)
    await Member.filter(id=created.id).update(birth_date=birth_date)
    return created


async def bought(who: Member, at: datetime, order: str) -> None:
    await Purchase.create(
        order_id=order,
        member_id=who.id,
        amount=Decimal("20.00"),
        currency="EUR",
        channel=Channel.STORE,
        occurred_at=at,
        recorded_at=at,
    )


async def test_a_member_is_wished_happy_birthday_once_on_their_local_birthday() -> None:
    # 23:30 UTC on 9 March is already 10 March in Tokyo, still the 9th in New York.
    now = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
    tokyo = await born("tokyo", date(1990, 3, 10), "Asia/Tokyo", locale="es")
    new_york = await born("newyork", date(1990, 3, 10), "America/New_York")
    await born("other", date(1990, 6, 1))

    assert await celebrate_birthdays(now, ON, NoLiveFeed()) == 1
    assert await celebrate_birthdays(now + timedelta(hours=2), ON, NoLiveFeed()) == 0  # once

    [wish] = await Notification.filter(member_id=tokyo.id)
    assert (wish.category, wish.title, wish.body) == (
        NotificationCategory.POINTS,
        "¡Feliz cumpleaños, Tokyo!",
        "Te regalamos 100 puntos para celebrarlo.",
    )
    assert (await ledger.summary(tokyo.id, now)).balance == 100
    assert await Notification.filter(member_id=new_york.id).count() == 0

    later = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert await celebrate_birthdays(later, ON, NoLiveFeed()) == 1
    assert (await ledger.summary(new_york.id, later)).balance == 100


async def test_birthdays_wait_for_the_morning_and_come_back_the_next_year() -> None:
    ana = await born("ana", date(1990, 3, 10), "Europe/Madrid")

    assert await celebrate_birthdays(datetime(2026, 3, 10, 6, 0, tzinfo=UTC), ON, NoLiveFeed()) == 0
    assert await celebrate_birthdays(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), ON, NoLiveFeed()) == 1
    assert await celebrate_birthdays(datetime(2027, 3, 10, 9, 0, tzinfo=UTC), ON, NoLiveFeed()) == 1

    keys = await Notification.filter(member_id=ana.id).values_list("dedupe_key", flat=True)
    assert sorted(keys) == ["birthday:2026", "birthday:2027"]


async def test_a_lapsed_member_is_invited_back_once_per_lapse() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    lapsed = await member("lapsed", now)
    active = await member("active", now)
    long_gone = await member("longgone", now)
    await bought(lapsed, now - timedelta(days=90), "A-1")
    await bought(lapsed, now - timedelta(days=61), "A-2")
    await bought(active, now - timedelta(days=5), "B-1")
    await bought(long_gone, now - timedelta(days=400), "C-1")

    assert await win_back_lapsed_members(now, ON, NoLiveFeed()) == 1
    assert await win_back_lapsed_members(now + timedelta(days=1), ON, NoLiveFeed()) == 0

    [invite] = await Notification.filter(member_id=lapsed.id)
    assert (invite.category, invite.title) == (NotificationCategory.REMINDER, "We miss you, Lapsed")
    assert (await ledger.summary(lapsed.id, now)).balance == 50

    # They came back, then lapsed again: a new lapse, a new invitation.
    await bought(lapsed, now + timedelta(days=2), "A-3")
    await bought(active, now + timedelta(days=30), "B-2")
    again = now + timedelta(days=2 + 61)
    assert await win_back_lapsed_members(again, ON, NoLiveFeed()) == 1
    assert await Notification.filter(member_id=lapsed.id).count() == 2


async def test_automations_do_nothing_when_they_are_off() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    ana = await born("ana", date(1990, 3, 10))
    await bought(ana, now - timedelta(days=61), "A-1")
    off = AutomationSettings(enabled=False)

    assert await celebrate_birthdays(now, off, NoLiveFeed()) == 0
    assert await win_back_lapsed_members(now, off, NoLiveFeed()) == 0
    assert await Notification.all().count() == 0


ZONES = (
    "Pacific/Pago_Pago",
    "America/New_York",
    "UTC",
    "Europe/Madrid",
    "Asia/Tokyo",
    "Pacific/Kiritimati",
)  # UTC-11 to UTC+14: every local date a UTC instant can have


async def test_the_birthdays_found_are_those_the_definition_gives_at_the_calendars_edges() -> None:
    # The job reads only the birth dates near today's date in each birth year: across leap
    # days, year ends and the widest time zones, it must find exactly the members a reading
    # of every member finds.
    rng = random.Random(7)
    edges = [(2, 27), (2, 28), (2, 29), (3, 1), (3, 2), (12, 30), (12, 31), (1, 1), (1, 2)]
    births: dict[int, tuple[date, str]] = {}
    for n in range(90):
        year = rng.choice((1960, 1992, 1999, 2000, 2003, 2008))
        month, day = rng.choice(edges)
        if (month, day) == (2, 29) and year % 4:
            year = 2000
        time_zone = rng.choice(ZONES)
        created = await born(f"m{n}", date(year, month, day), time_zone, devices=0)
        births[created.id] = (date(year, month, day), time_zone)

    celebrated: set[tuple[int, int]] = set()  # (member, local year)
    for now in (
        datetime(2027, 2, 27, 12, 0, tzinfo=UTC),
        datetime(2027, 2, 28, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 1, 23, 0, tzinfo=UTC),
        datetime(2027, 12, 31, 11, 0, tzinfo=UTC),
        datetime(2028, 1, 1, 20, 0, tzinfo=UTC),
        datetime(2028, 2, 29, 9, 30, tzinfo=UTC),
    ):
        expected = set()
        for member_id, (birth_date, time_zone) in births.items():
            local = now.astimezone(ZoneInfo(time_zone))
            if local.hour >= ON.birthday_local_hour and is_birthday(birth_date, local.date()):
                if (member_id, local.year) not in celebrated:
                    expected.add((member_id, local.year))
        before = set(await Notification.all().values_list("id", flat=True))
        assert await celebrate_birthdays(now, ON, NoLiveFeed()) == len(expected), now
        new = await Notification.exclude(id__in=before).values_list("member_id", "dedupe_key")
        assert {(m, int(key.split(":")[1])) for m, key in new} == expected, now
        celebrated |= expected
    assert celebrated  # the instants do fall on members' birthdays
