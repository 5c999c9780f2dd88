"""Domain events become feed notifications and pushes, within the member's preferences."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.achievements.events import BadgeEarned, ChallengeCompleted
from domain.clock import FrozenClock
from domain.drops.definition import DropInput, upsert_drop
from domain.drops.jobs import announce_drops
from domain.errors import NotFound, ValidationErrors
from domain.members.events import MemberErased
from domain.outbox.models import OutboxEvent
from domain.points.events import PointsExpiringSoon
from domain.referrals.events import ReferralCompleted
from domain.tiers.events import TierChanged
from domain.tiers.services import configure_tiers
from push.automations import AutomationSettings
from push.campaigns.services import fan_out_campaigns
from push.gateway import LogGateway
from push.live import NoLiveFeed, RedisNotificationPublisher, notification_channel
from push.notifications.delivery import deliver_until_idle
from push.notifications.models import (
    Notification,
    NotificationCategory,
    NotificationPreferences,
    PushStatus,
)
from push.notifications.preferences import (
    PreferenceChanges,
    preferences_of,
    update_notification_preferences,
)
from push.notifications.services import (
    Draft,
    mark_notifications_read,
    notification_page,
    notify_members,
)
from push.ports import NoSegments
from tests.integration.points_factories import STANDARD_TIERS
from tests.integration.push_support import dispatcher, listening, member, publish_event
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def badge(member_id: int, badge_id: int = 7, points: int = 0) -> BadgeEarned:
    return BadgeEarned(
        member_id=member_id, badge_id=badge_id, badge_code="explorer", badge_name="Explorer",
        points=points,
    )  # fmt: skip


def draft(title: str = "Hello") -> Draft:
    return Draft(NotificationCategory.CAMPAIGN, title, "Body")


async def test_a_badge_becomes_a_feed_notification_in_the_members_language_with_a_push_due() -> (
    None
):
    clock = FrozenClock(NOON)
    lucia = await member("lucia", NOON, name="Lucía", locale="es-ES")

    await publish_event(badge(lucia.id, points=12500), NOON)
    await dispatcher(clock).run_until_idle()

    [notification] = await Notification.filter(member_id=lucia.id)
    assert notification.category is NotificationCategory.BADGE
    assert notification.title == "Nueva insignia: Explorer"
    assert notification.body == (
        "¡Enhorabuena, Lucía! Has conseguido la insignia Explorer y 12.500 puntos."
    )
    assert notification.deep_link == "fidelio://badges/7"
    assert notification.push_status is PushStatus.PENDING
    assert notification.next_attempt_at == NOON


async def test_an_event_delivered_twice_makes_one_notification() -> None:
    clock = FrozenClock(NOON)
    sam = await member("sam", NOON)
    event = ChallengeCompleted(
        member_id=sam.id, challenge_id=3, challenge_code="c3", challenge_title="Three visits",
        period_key="2026-W03", points=50,
    )  # fmt: skip

    await publish_event(event, NOON)
    await publish_event(event, NOON)  # the outbox redelivers: at least once
    await dispatcher(clock).run_until_idle()

    assert await Notification.filter(member_id=sam.id).count() == 1


async def test_a_batch_notifies_only_the_members_without_the_key_and_returns_those() -> None:
    people = [await member(f"batch-{i}", NOON) for i in range(6)]
    first = await notify_members([p.id for p in people[:3]], lambda r: draft("First"), "k", NOON)
    assert [n.member_id for n in first] == [p.id for p in people[:3]]

    later = NOON + timedelta(hours=1)
    again = await notify_members(
        [p.id for p in reversed(people)], lambda r: draft("Second"), "k", later
    )

    assert [n.member_id for n in again] == [p.id for p in people[3:]]
    assert all(n.id and n.title == "Second" and n.created_at == later for n in again)
    rows = {n.member_id: n for n in await Notification.filter(dedupe_key="k")}
    assert {m: n.title for m, n in rows.items()} == {
        p.id: "First" if i < 3 else "Second" for i, p in enumerate(people)
    }
    assert {n.id for n in again} == {rows[p.id].id for p in people[3:]}
    assert await notify_members([p.id for p in people], lambda r: draft(), "k", later) == []


async def test_quiet_hours_hold_the_push_until_they_end_in_the_members_time_zone() -> None:
    late = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)  # 23:30 in Madrid, 17:30 in New York
    clock = FrozenClock(late)
    madrid = await member("madrid", late, time_zone="Europe/Madrid")
    new_york = await member("newyork", late, time_zone="America/New_York")
    for who in (madrid, new_york):
        await update_notification_preferences(
            who.id, PreferenceChanges(quiet_hours_start="22:00", quiet_hours_end="08:00"), late
        )
        await publish_event(badge(who.id), late)
    await dispatcher(clock).run_until_idle()
    gateway = LogGateway()

    await deliver_until_idle(gateway, late)

    held = await Notification.get(member_id=madrid.id)
    assert (held.push_status, held.push_reason) == (PushStatus.HELD, "quiet hours")
    assert held.next_attempt_at == datetime(2026, 1, 16, 7, 0, tzinfo=UTC)
    assert [m.token for m in gateway.sent] == ["token-newyork-0"]

    await deliver_until_idle(gateway, datetime(2026, 1, 16, 6, 59, tzinfo=UTC))
    assert len(gateway.sent) == 1

    await deliver_until_idle(gateway, datetime(2026, 1, 16, 7, 0, tzinfo=UTC))
    assert [m.token for m in gateway.sent] == ["token-newyork-0", "token-madrid-0"]
    assert (await Notification.get(member_id=madrid.id)).push_status is PushStatus.SENT


async def test_the_daily_cap_keeps_extra_notifications_in_the_feed_until_the_local_day_turns() -> (
    None
):
    clock = FrozenClock(datetime(2026, 1, 15, 20, 0, tzinfo=UTC))  # 21:00 in Madrid
    ana = await member("ana", clock.now(), time_zone="Europe/Madrid")
    await update_notification_preferences(ana.id, PreferenceChanges(max_pushes_per_day=2), NOON)

    for i in range(3):
        await notify_members([ana.id], lambda _: draft(), f"n{i}", clock.now())
    clock.set(datetime(2026, 1, 15, 23, 30, tzinfo=UTC))  # 00:30 on the 16th in Madrid
    await notify_members([ana.id], lambda _: draft(), "next-day", clock.now())

    rows = await Notification.filter(member_id=ana.id).order_by("id")
    assert [(r.dedupe_key, r.push_status, r.push_reason) for r in rows] == [
        ("n0", PushStatus.PENDING, None),
        ("n1", PushStatus.PENDING, None),
        ("n2", PushStatus.SKIPPED, "daily cap"),
        ("next-day", PushStatus.PENDING, None),
    ]


async def test_concurrent_notifications_never_overrun_the_daily_cap() -> None:
    ana = await member("ana", NOON)
    await update_notification_preferences(ana.id, PreferenceChanges(max_pushes_per_day=3), NOON)

    await asyncio.gather(
        *(notify_members([ana.id], lambda _: draft(), f"n{i}", NOON) for i in range(12))
    )

    statuses = await Notification.filter(member_id=ana.id).values_list("push_status", flat=True)
    assert len(statuses) == 12
    assert statuses.count(PushStatus.PENDING) == 3
    assert statuses.count(PushStatus.SKIPPED) == 9


async def test_concurrent_deliveries_of_one_event_make_one_notification() -> None:
    ana = await member("ana", NOON)

    await asyncio.gather(
        *(notify_members([ana.id], lambda _: draft(), "same-key", NOON) for _ in range(10))
    )

    assert await Notification.filter(member_id=ana.id).count() == 1


async def test_a_category_opted_out_is_written_to_the_feed_but_not_pushed() -> None:
    clock = FrozenClock(NOON)
    ana = await member("ana", NOON)
    await update_notification_preferences(
        ana.id, PreferenceChanges(categories=["DROP", "PROMOTION"]), NOON
    )
    await publish_event(badge(ana.id), NOON)
    await dispatcher(clock).run_until_idle()
    gateway = LogGateway()

    await deliver_until_idle(gateway, NOON)

    notification = await Notification.get(member_id=ana.id)
    assert (notification.push_status, notification.push_reason) == (
        PushStatus.SKIPPED,
        "category off",
    )
    assert gateway.sent == []


async def test_turning_push_off_during_quiet_hours_cancels_the_held_push() -> None:
    late = datetime(2026, 1, 15, 23, 0, tzinfo=UTC)
    ana = await member("ana", late)
    await update_notification_preferences(
        ana.id, PreferenceChanges(quiet_hours_start="22:00", quiet_hours_end="07:00"), late
    )
    await notify_members([ana.id], lambda _: draft(), "held", late)
    await update_notification_preferences(ana.id, PreferenceChanges(push_enabled=False), late)
    gateway = LogGateway()

    await deliver_until_idle(gateway, datetime(2026, 1, 16, 7, 0, tzinfo=UTC))

    notification = await Notification.get(member_id=ana.id)
    assert (notification.push_status, notification.push_reason) == (
        PushStatus.SKIPPED,
        "push disabled",
    )
    assert gateway.sent == []


async def test_a_member_without_devices_still_gets_the_feed_row() -> None:
    ana = await member("ana", NOON, devices=0)
    await notify_members([ana.id], lambda _: draft(), "k", NOON)

    await deliver_until_idle(LogGateway(), NOON)

    notification = await Notification.get(member_id=ana.id)
    assert (notification.push_status, notification.push_reason) == (PushStatus.SKIPPED, "no device")


async def test_preferences_refuse_bad_values_all_at_once_and_change_nothing() -> None:
    ana = await member("ana", NOON)
    await update_notification_preferences(
        ana.id, PreferenceChanges(quiet_hours_start="22:00", quiet_hours_end="07:00"), NOON
    )
    before = await preferences_of(ana.id)

    with pytest.raises(ValidationErrors) as raised:
        await update_notification_preferences(
            ana.id,
            PreferenceChanges(
                categories=["BADGE", "SPAM"], quiet_hours_start="25:00", max_pushes_per_day=51
            ),
            NOON,
        )

    assert [(e.code, e.field) for e in raised.value.errors] == [
        ("INVALID_INPUT", ["input", "categories", "1"]),
        ("INVALID_INPUT", ["input", "quietHoursStart"]),
        ("INVALID_INPUT", ["input", "maxPushesPerDay"]),
    ]
    assert await preferences_of(ana.id) == before


async def test_quiet_hours_need_both_ends_and_can_be_cleared_together() -> None:
    ana = await member("ana", NOON)

    with pytest.raises(ValidationErrors) as raised:
        await update_notification_preferences(
            ana.id, PreferenceChanges(quiet_hours_start="22:00"), NOON
        )
    assert [e.field for e in raised.value.errors] == [["input", "quietHoursEnd"]]
    assert await NotificationPreferences.filter(member_id=ana.id).count() == 0

    await update_notification_preferences(
        ana.id, PreferenceChanges(quiet_hours_start="22:00", quiet_hours_end="07:00"), NOON
    )
    cleared = await update_notification_preferences(
        ana.id, PreferenceChanges(quiet_hours_start=None, quiet_hours_end=None), NOON
    )
    assert (cleared.quiet_hours_start, cleared.quiet_hours_end) == (None, None)


async def test_the_feed_pages_newest_first_and_counts_unread() -> None:
    ana = await member("ana", NOON)
    for i in range(5):
        await notify_members([ana.id], lambda _, i=i: draft(f"n{i}"), f"n{i}", NOON)

    first = await notification_page(ana.id, first=2)
    second = await notification_page(ana.id, first=2, after_id=first.items[-1].id)
    last = await notification_page(ana.id, first=2, after_id=second.items[-1].id)

    assert [n.title for n in first.items + second.items + last.items] == [
        "n4", "n3", "n2", "n1", "n0",
    ]  # fmt: skip
    assert (first.has_next_page, second.has_next_page, last.has_next_page) == (True, True, False)
    assert first.unread_count == 5


async def test_marking_read_some_or_all_notifications_updates_the_unread_count() -> None:
    ana = await member("ana", NOON)
    for i in range(3):
        await notify_members([ana.id], lambda _: draft(), f"n{i}", NOON)
    ids = await Notification.filter(member_id=ana.id).order_by("id").values_list("id", flat=True)

    assert await mark_notifications_read(ana.id, [ids[0]], NOON) == 2
    assert await mark_notifications_read(ana.id, [ids[0]], NOON) == 2  # idempotent
    assert await mark_notifications_read(ana.id, None, NOON) == 0
    assert (await notification_page(ana.id, unread_only=True)).items == []


async def test_marking_another_members_notification_read_is_refused_and_changes_nothing() -> None:
    ana = await member("ana", NOON)
    bob = await member("bob", NOON)
    await notify_members([ana.id, bob.id], lambda _: draft(), "k", NOON)
    mine = await Notification.get(member_id=ana.id)
    theirs = await Notification.get(member_id=bob.id)

    with pytest.raises(NotFound) as raised:
        await mark_notifications_read(ana.id, [mine.id, theirs.id], NOON)

    assert raised.value.field == ["input", "ids", "1"]
    assert await Notification.filter(read_at__isnull=False).count() == 0


async def test_a_drop_is_announced_to_early_tiers_first_and_to_the_rest_when_it_opens() -> None:
    opens = NOON + timedelta(hours=1)
    drop = await upsert_drop(
        DropInput(code="sneaker", title="Sneaker X", description="Limited", opens_at=opens,
                  closes_at=opens + timedelta(days=1), quantity=10, min_tier_level=1,
                  early_access_tier_level=2, early_access_minutes=60),
        NOON,
    )  # fmt: skip
    gold = await member("gold", NOON, tier_level=2, locale="es")
    silver = await member("silver", NOON, tier_level=1)
    base = await member("base", NOON, tier_level=0)
    clock = FrozenClock(NOON)

    await announce_drops(NOON)  # early access opens for gold
    await dispatcher(clock).run_until_idle()
    await fan_out_campaigns(NOON, NoSegments(), NoLiveFeed())

    assert [n.title for n in await Notification.filter(member_id=gold.id)] == [
        "Acceso anticipado: Sneaker X"
    ]
    assert await Notification.filter(member_id=silver.id).count() == 0

    clock.set(opens)
    await announce_drops(opens)  # open for everyone eligible: tier 1 and above
    await dispatcher(clock).run_until_idle()
    await fan_out_campaigns(opens, NoSegments(), NoLiveFeed())

    assert await Notification.filter(member_id=gold.id).count() == 1  # told once
    [live] = await Notification.filter(member_id=silver.id)
    assert (live.category, live.title, live.deep_link) == (
        NotificationCategory.DROP,
        "Sneaker X is live",
        f"fidelio://drops/{drop.id}",
    )
    assert await Notification.filter(member_id=base.id).count() == 0  # not eligible


async def test_tier_and_referral_events_notify_the_members_concerned() -> None:
    clock = FrozenClock(NOON)
    await configure_tiers(list(STANDARD_TIERS), NOON)
    referrer = await member("referrer", NOON)
    referee = await member("referee", NOON, locale="es")

    await publish_event(
        TierChanged(member_id=referrer.id, old_code="base", new_code="GOLD", old_level=0,
                    new_level=2),
        NOON,
    )  # fmt: skip
    await publish_event(
        ReferralCompleted(referral_id=9, referrer_id=referrer.id, referee_id=referee.id,
                          referrer_points=500, referee_points=250),
        NOON,
    )  # fmt: skip
    await dispatcher(clock).run_until_idle()

    assert sorted(
        (n.category, n.title) for n in await Notification.filter(member_id=referrer.id)
    ) == [(NotificationCategory.REFERRAL, "Your friend joined"),
          (NotificationCategory.TIER, "Welcome to Gold")]  # fmt: skip
    [welcome] = await Notification.filter(member_id=referee.id)
    assert welcome.body == "¡Bienvenido, Referee! Aquí tienes 250 puntos para empezar."


async def test_a_batch_of_tier_changes_notifies_each_member_once_in_a_few_statements() -> None:
    clock = FrozenClock(NOON)
    await configure_tiers(list(STANDARD_TIERS), NOON)
    climbers = [await member(f"climber-{i}", NOON, locale="es" if i % 2 else "en")
                for i in range(12)]  # fmt: skip
    faller = await member("faller", NOON)

    def up(someone_id: int, to: str = "GOLD", level: int = 2) -> TierChanged:
        return TierChanged(member_id=someone_id, old_code="base", new_code=to, old_level=0,
                           new_level=level)  # fmt: skip

    # One batch: twelve members up to Gold (the first twice: a redelivery), one down.
    events = [up(c.id) for c in climbers] + [up(climbers[0].id)]
    events.append(TierChanged(member_id=faller.id, old_code="GOLD", new_code="SILVER",
                              old_level=2, new_level=1))  # fmt: skip
    await dispatcher(clock).run_until_idle()  # the members' own events
    for event in events:
        await publish_event(event, NOON)
    with counting_statements() as statements:
        assert await dispatcher(clock).run_once() == len(events)

    titles = {n.member_id: (n.title, n.dedupe_key) for n in await Notification.all()}
    assert titles == {
        **{c.id: ("Bienvenido a Gold" if i % 2 else "Welcome to Gold", "tier:up:GOLD:2026-01-15")
           for i, c in enumerate(climbers)},
        faller.id: ("Your tier is now Silver", "tier:down:SILVER:2026-01-15"),
    }  # fmt: skip
    # Claim, the tiers' names, one notify_members per (direction, tier), delivered: the
    # statements do not grow with the members (one event at a time took about ten each).
    assert len(statements) <= 15, statements.sql
    # Delivered again (at least once): nothing more.
    for event in events[:3]:
        await publish_event(event, NOON)
    await dispatcher(clock).run_until_idle()
    assert await Notification.all().count() == len(climbers) + 1


async def test_expiring_points_are_recalled_seven_days_before_they_expire() -> None:
    clock = FrozenClock(NOON)
    ana = await member("ana", NOON)
    expires_at = NOON + timedelta(days=20)
    await publish_event(
        PointsExpiringSoon(member_id=ana.id, points=300, expires_at=expires_at), NOON
    )
    outbox = dispatcher(clock)

    await outbox.run_until_idle()
    assert await Notification.filter(member_id=ana.id).count() == 0
    assert await OutboxEvent.filter(processed_at__isnull=True).count() == 1  # back in 13 days

    clock.set(expires_at - timedelta(days=7))
    await outbox.run_until_idle()
    [reminder] = await Notification.filter(member_id=ana.id)
    assert (reminder.category, reminder.body) == (
        NotificationCategory.REMINDER,
        "300 of your points expire on February 4. Use them before then.",
    )


async def test_expiring_points_are_not_recalled_when_automations_are_off() -> None:
    clock = FrozenClock(NOON)
    ana = await member("ana", NOON)
    await publish_event(
        PointsExpiringSoon(member_id=ana.id, points=300, expires_at=NOON + timedelta(days=3)), NOON
    )

    await dispatcher(clock, automations=AutomationSettings(enabled=False)).run_until_idle()

    assert await Notification.filter(member_id=ana.id).count() == 0


async def test_erasing_a_member_deletes_their_notifications_and_preferences() -> None:
    clock = FrozenClock(NOON)
    ana = await member("ana", NOON)
    bob = await member("bob", NOON)
    await update_notification_preferences(ana.id, PreferenceChanges(push_enabled=False), NOON)
    await notify_members([ana.id, bob.id], lambda _: draft(), "k", NOON)

    await publish_event(MemberErased(member_id=ana.id), NOON)
    await dispatcher(clock).run_until_idle()

    assert await Notification.filter(member_id=ana.id).count() == 0
    assert await NotificationPreferences.filter(member_id=ana.id).count() == 0
    assert await Notification.filter(member_id=bob.id).count() == 1


async def test_each_new_notification_is_published_on_the_members_channel(
    redis_client, redis_prefix: str
) -> None:
    clock = FrozenClock(NOON)
    ana = await member("ana", NOON)
    publisher = RedisNotificationPublisher(redis_client, redis_prefix)
    await publish_event(badge(ana.id), NOON)

    async with listening(redis_client, notification_channel(redis_prefix, ana.id)) as received:
        await dispatcher(clock, publisher=publisher).run_until_idle()

    notification = await Notification.get(member_id=ana.id)
    assert received == [
        {
            "id": str(notification.id),
            "memberId": str(ana.id),
            "category": "BADGE",
            "title": "New badge: Explorer",
            "body": "Well done, Ana! You earned the Explorer badge.",
            "deepLink": "fidelio://badges/7",
            "createdAt": NOON.isoformat(),
            "readAt": None,
            "pushStatus": "PENDING",
        }
    ]


async def test_a_tier_removed_before_its_announcement_is_named_by_its_code() -> None:
    someone = await member("someone", NOON)
    await publish_event(
        TierChanged(member_id=someone.id, old_code=None, new_code="VIP", old_level=0,
                    new_level=3),
        NOON,
    )  # fmt: skip
    await dispatcher(FrozenClock(NOON)).run_until_idle()

    [note] = await Notification.filter(member_id=someone.id)
    assert note.title == "Welcome to VIP"
