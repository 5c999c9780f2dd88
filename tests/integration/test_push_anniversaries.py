"""The anniversary of a member's first purchase: the admins' offer, once a year, on the
member's local date, with the push held through quiet hours, like birthdays."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ValidationErrors
from domain.members.models import Member
from domain.points import ledger
from domain.purchases.models import Channel, Purchase
from domain.rewards.catalogue import RewardSpec, upsert_reward
from domain.rewards.models import Redemption, RewardKind
from push.anniversaries.services import (
    AnniversarySpec,
    celebrate_anniversaries,
    configure_anniversary_offer,
)
from push.automations import AutomationSettings, is_birthday
from push.live import NoLiveFeed
from push.notifications.models import Notification, PushStatus
from push.notifications.preferences import PreferenceChanges, update_notification_preferences
from push.ports import DomainCoupons
from tests.integration.push_support import member

pytestmark = pytest.mark.usefixtures("db")

ON = AutomationSettings(enabled=True)
SETUP = datetime(2025, 1, 1, tzinfo=UTC)


async def first_bought(who: Member, at: datetime) -> None:
    for n, moment in enumerate((at, at + timedelta(days=40))):  # the later one is no anniversary
        await Purchase.create(
            order_id=f"{who.customer_id}-{n}",
            member_id=who.id,
            amount=Decimal("20.00"),
            currency="EUR",
            channel=Channel.APP,
            occurred_at=moment,
            recorded_at=moment,
        )


async def celebrate(now: datetime, settings: AutomationSettings = ON) -> int:
    return await celebrate_anniversaries(now, settings, DomainCoupons(), NoLiveFeed())


async def offer(**changes: object) -> None:
    values: dict[str, object] = {"enabled": True, "points": 200, "reward_code": None}
    spec = AnniversarySpec(**{**values, **changes})  # type: ignore[arg-type]
    await configure_anniversary_offer(spec, SETUP, DomainCoupons())


async def test_the_anniversary_is_celebrated_once_a_year_on_the_members_local_date() -> None:
    await upsert_reward(
        RewardSpec("THANKS", "Thank-you gift", "", RewardKind.PRODUCT, cost_points=900), SETUP
    )
    await offer(reward_code="THANKS")
    # 20:00 UTC on 9 March 2025 was already 10 March in Tokyo; New York bought on its 10th.
    tokyo = await member("tokyo", SETUP, time_zone="Asia/Tokyo", locale="es")
    new_york = await member("newyork", SETUP, time_zone="America/New_York")
    await first_bought(tokyo, datetime(2025, 3, 9, 20, 0, tzinfo=UTC))
    await first_bought(new_york, datetime(2025, 3, 10, 15, 0, tzinfo=UTC))

    morning_in_tokyo = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)  # 09:30 there, 9th in New York
    assert await celebrate(morning_in_tokyo) == 1
    assert await celebrate(morning_in_tokyo + timedelta(hours=3)) == 0  # once

    [wish] = await Notification.filter(member_id=tokyo.id)
    assert (wish.title, wish.body, wish.dedupe_key) == (
        "¡Feliz aniversario, Tokyo!",
        "Compras con nosotros desde 2025: te regalamos 200 puntos y un cupón de Thank-you gift "
        "para celebrarlo.",
        "anniversary:2026",
    )
    assert (await ledger.summary(tokyo.id, morning_in_tokyo)).balance == 200
    assert await Redemption.filter(member_id=tokyo.id, points_spent=0).count() == 1
    assert await Notification.filter(member_id=new_york.id).count() == 0

    morning_in_new_york = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 10:00 EDT
    assert await celebrate(morning_in_new_york) == 1
    assert await celebrate(datetime(2027, 3, 10, 14, 0, tzinfo=UTC)) == 2  # next year, both
    assert await Redemption.filter(member_id=tokyo.id, points_spent=0).count() == 2
    keys = await Notification.filter(member_id=new_york.id).values_list("dedupe_key", flat=True)
    assert sorted(keys) == ["anniversary:2026", "anniversary:2027"]


async def test_no_anniversary_on_the_day_of_the_first_purchase_nor_before_the_local_hour() -> None:
    await offer(local_hour=10)
    ana = await member("ana", SETUP, time_zone="Europe/Madrid")
    await first_bought(ana, datetime(2025, 6, 1, 8, 0, tzinfo=UTC))

    assert await celebrate(datetime(2025, 6, 1, 12, 0, tzinfo=UTC)) == 0  # the first year
    assert await celebrate(datetime(2026, 6, 1, 7, 0, tzinfo=UTC)) == 0  # 09:00 in Madrid
    assert await celebrate(datetime(2026, 6, 1, 8, 0, tzinfo=UTC)) == 1  # 10:00


async def test_the_push_waits_for_the_end_of_the_members_quiet_hours() -> None:
    await offer()
    ana = await member("ana", SETUP, time_zone="Europe/Madrid")
    await first_bought(ana, datetime(2025, 6, 1, 8, 0, tzinfo=UTC))
    await update_notification_preferences(
        ana.id, PreferenceChanges(quiet_hours_start="08:00", quiet_hours_end="12:00"), SETUP
    )

    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 10:00 in Madrid, inside the quiet hours
    assert await celebrate(now) == 1

    [wish] = await Notification.filter(member_id=ana.id)
    assert wish.push_status is PushStatus.HELD
    assert wish.next_attempt_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # 12:00 in Madrid


async def test_nothing_is_sent_when_automations_or_the_offer_are_off() -> None:
    ana = await member("ana", SETUP)
    await first_bought(ana, datetime(2025, 6, 1, 8, 0, tzinfo=UTC))
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    assert await celebrate(now) == 0  # never configured
    await offer(enabled=False)
    assert await celebrate(now) == 0
    await offer()
    assert await celebrate(now, AutomationSettings(enabled=False)) == 0
    assert await Notification.all().count() == 0
    assert await celebrate(now) == 1


async def test_an_invalid_offer_names_every_field_and_saves_nothing() -> None:
    with pytest.raises(ValidationErrors) as refused:
        await offer(points=-1, local_hour=24, reward_code="NO-SUCH")

    assert sorted((e.code, tuple(e.field or ())) for e in refused.value.errors) == [
        ("INVALID_INPUT", ("input", "localHour")),
        ("INVALID_INPUT", ("input", "points")),
        ("NOT_FOUND", ("input", "rewardCode")),
    ]


async def test_the_anniversaries_found_are_those_the_definition_gives_at_the_calendars_edges() -> (
    None
):
    # The job reads only the purchases near today's date in each year, then those members'
    # first purchases: across leap days, year ends and the widest time zones it must find
    # exactly the members that reading every first purchase finds.
    await offer(points=10)
    rng = random.Random(11)
    zones = ("Pacific/Pago_Pago", "America/New_York", "UTC", "Asia/Tokyo", "Pacific/Kiritimati")
    edges = [(2, 28), (2, 29), (3, 1), (12, 31), (1, 1)]
    firsts: dict[int, tuple[datetime, str]] = {}
    for n in range(60):
        year = rng.choice((2024, 2025, 2026))
        month, day = rng.choice(edges)
        if (month, day) == (2, 29):
            year = 2024
        at = datetime(year, month, day, rng.randrange(24), tzinfo=UTC)
        time_zone = rng.choice(zones)
        who = await member(f"m{n}", SETUP, time_zone=time_zone, devices=0)
        await first_bought(who, at)
        firsts[who.id] = (at, time_zone)

    celebrated: set[tuple[int, int]] = set()
    for now in (
        datetime(2027, 2, 28, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 1, 23, 0, tzinfo=UTC),
        datetime(2027, 12, 31, 11, 0, tzinfo=UTC),
        datetime(2028, 1, 1, 20, 0, tzinfo=UTC),
        datetime(2028, 2, 29, 9, 30, tzinfo=UTC),
    ):
        expected = set()
        for member_id, (at, time_zone) in firsts.items():
            local, first = now.astimezone(ZoneInfo(time_zone)), at.astimezone(ZoneInfo(time_zone))
            if (
                local.year > first.year
                and local.hour >= 9
                and is_birthday(first.date(), local.date())
                and (member_id, local.year) not in celebrated
            ):
                expected.add((member_id, local.year))
        before = set(await Notification.all().values_list("id", flat=True))
        assert await celebrate(now) == len(expected), now
        new = await Notification.exclude(id__in=before).values_list("member_id", "dedupe_key")
        assert {(m, int(key.split(":")[1])) for m, key in new} == expected, now
        celebrated |= expected
    assert celebrated
