"""The achievement engine on a real database: progress, awards exactly once, rewards, events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.achievements.models import (
    Badge,
    ChallengeCompletion,
    MemberBadge,
    RuleProgress,
)
from domain.clock import FrozenClock
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from gamification.achievements.engine import AchievementEngine
from gamification.rules import Recurrence, Rule
from tests.integration.achievements_setup import (
    SHOES_3_IN_30,
    badge,
    challenge,
    days,
    member,
    observe,
    purchase,
    share,
)

pytestmark = pytest.mark.usefixtures("db")


async def test_three_shoe_purchases_within_30_days_award_the_badge_once_on_the_third() -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 10, tzinfo=UTC))
    engine = AchievementEngine()
    shoes = await badge("shoe-lover", SHOES_3_IN_30, clock.now(), reward_points=100)
    ana = await member("ana", clock.now())

    first = await observe(engine, purchase(ana.id, clock.now()), clock.now())
    clock.advance(days=10)
    second = await observe(engine, purchase(ana.id, clock.now()), clock.now())
    clock.advance(days=10)
    third = await observe(engine, purchase(ana.id, clock.now()), clock.now())
    clock.advance(days=1)
    fourth = await observe(engine, purchase(ana.id, clock.now()), clock.now())

    assert (first.badge_ids, second.badge_ids, fourth.badge_ids) == ([], [], [])
    assert third.badge_ids == [shoes.id]
    assert third.points_awarded == 100
    held = await MemberBadge.get(member_id=ana.id, badge_id=shoes.id)
    assert held.earned_at == datetime(2026, 3, 22, 10, tzinfo=UTC)
    await shoes.refresh_from_db()
    assert shoes.holders_count == 1
    bonus = await PointsEntry.filter(member_id=ana.id, kind=EntryKind.BONUS)
    assert [(e.delta, e.reference) for e in bonus] == [(100, f"badge:{shoes.id}")]
    earned = await OutboxEvent.filter(kind="BadgeEarned")
    assert [e.payload for e in earned] == [
        {
            "member_id": ana.id,
            "badge_id": shoes.id,
            "badge_code": "shoe-lover",
            "badge_name": "Badge shoe-lover",
            "points": 100,
        }
    ]
    assert await OutboxEvent.filter(kind="PointsEarned").count() == 1


async def test_purchases_spread_over_more_than_30_days_do_not_award_the_badge() -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 10, tzinfo=UTC))
    engine = AchievementEngine()
    await badge("shoe-lover", SHOES_3_IN_30, clock.now())
    ana = await member("ana", clock.now())
    for _ in range(3):
        awards = await observe(engine, purchase(ana.id, clock.now()), clock.now())
        assert awards.badge_ids == []
        clock.advance(days=16)
    assert await MemberBadge.filter(member_id=ana.id).count() == 0


async def test_purchases_in_other_categories_make_no_progress() -> None:
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    engine = AchievementEngine()
    await badge("shoe-lover", SHOES_3_IN_30, now)
    ana = await member("ana", now)
    for _ in range(3):
        await observe(engine, purchase(ana.id, now, categories=["hats"]), now)
    assert await RuleProgress.filter(member_id=ana.id).count() == 0
    assert await MemberBadge.filter(member_id=ana.id).count() == 0


async def test_delivering_the_same_activity_again_counts_and_awards_nothing_more() -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 10, tzinfo=UTC))
    engine = AchievementEngine()
    shoes = await badge("shoe-lover", SHOES_3_IN_30, clock.now(), reward_points=100)
    ana = await member("ana", clock.now())
    first = purchase(ana.id, clock.now(), order_id="A-1")
    await observe(engine, first, clock.now())
    again = await observe(engine, first, clock.now())
    await observe(engine, purchase(ana.id, clock.now(), order_id="A-2"), clock.now())
    assert again.badge_ids == []
    assert await MemberBadge.filter(member_id=ana.id).count() == 0

    third = purchase(ana.id, clock.now(), order_id="A-3")
    awarded = await observe(engine, third, clock.now())
    repeated = await observe(engine, third, clock.now())

    assert awarded.badge_ids == [shoes.id]
    assert (repeated.badge_ids, repeated.points_awarded) == ([], 0)
    await shoes.refresh_from_db()
    assert shoes.holders_count == 1
    assert (await ledger.summary(ana.id, clock.now())).balance == 100
    assert await OutboxEvent.filter(kind="BadgeEarned").count() == 1


async def test_an_activity_of_a_kind_no_rule_reads_changes_nothing() -> None:
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    engine = AchievementEngine()
    await badge("shoe-lover", SHOES_3_IN_30, now)
    ana = await member("ana", now)
    awards = await observe(engine, share(ana.id, now), now)
    assert (awards.badge_ids, awards.challenge_ids, awards.points_awarded) == ([], [], 0)
    assert await RuleProgress.all().count() == 0


async def test_a_badge_created_after_the_engine_started_counts_from_the_next_activity() -> None:
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    engine = AchievementEngine()
    ana = await member("ana", now)
    await observe(engine, share(ana.id, now), now)
    sharer = await badge("sharer", Rule(event="SHARE", aggregate="COUNT", target=1), now)
    awards = await observe(engine, share(ana.id, now), now)
    assert awards.badge_ids == [sharer.id]


async def test_editing_a_rule_keeps_earned_badges_and_restarts_everyone_elses_progress() -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 10, tzinfo=UTC))
    engine = AchievementEngine()
    rule = Rule(event="PURCHASE", aggregate="COUNT", target=2)
    loyal = await badge("loyal", rule, clock.now())
    ana = await member("ana", clock.now())
    bea = await member("bea", clock.now())
    for _ in range(2):
        await observe(engine, purchase(ana.id, clock.now()), clock.now())
    await observe(engine, purchase(bea.id, clock.now()), clock.now())

    await badge("loyal", Rule(event="PURCHASE", aggregate="COUNT", target=3), clock.now())
    ana_again = await observe(engine, purchase(ana.id, clock.now()), clock.now())
    bea_second = await observe(engine, purchase(bea.id, clock.now()), clock.now())
    bea_third = await observe(engine, purchase(bea.id, clock.now()), clock.now())
    bea_fourth = await observe(engine, purchase(bea.id, clock.now()), clock.now())

    assert await MemberBadge.filter(badge_id=loyal.id, member_id=ana.id).exists()
    assert ana_again.badge_ids == []
    # Bea's purchase before the edit no longer counts: three more are needed.
    assert (bea_second.badge_ids, bea_third.badge_ids) == ([], [])
    assert bea_fourth.badge_ids == [loyal.id]
    assert (await Badge.get(id=loyal.id)).holders_count == 2


async def test_a_weekly_challenge_completes_once_per_week_with_its_reward() -> None:
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    engine = AchievementEngine()
    weekly = await challenge(
        "two-a-week",
        Rule(event="PURCHASE", aggregate="COUNT", target=2),
        monday,
        monday + days(28),
        monday,
        recurrence=Recurrence.WEEKLY,
        reward_points=50,
    )
    ana = await member("ana", monday)
    # Week 10: Monday, Tuesday, Wednesday. Week 11: Monday, Sunday. Week 12: Tuesday only.
    moments = [monday + days(n) for n in (0, 1, 2, 7, 13, 15)]
    completed = [
        (await observe(engine, purchase(ana.id, moment), moment)).challenge_ids
        for moment in moments
    ]

    assert completed == [[], [weekly.id], [], [], [weekly.id], []]
    keys = await ChallengeCompletion.filter(member_id=ana.id).order_by("period_key")
    assert [c.period_key for c in keys] == ["2026-W10", "2026-W11"]
    bonus = await PointsEntry.filter(member_id=ana.id, kind=EntryKind.BONUS).order_by("id")
    assert [e.reference for e in bonus] == [
        f"challenge:{weekly.id}:2026-W10",
        f"challenge:{weekly.id}:2026-W11",
    ]
    assert (await ledger.summary(ana.id, moments[-1])).balance == 100
    assert await OutboxEvent.filter(kind="ChallengeCompleted").count() == 2
    week_12 = await RuleProgress.get(
        member_id=ana.id, challenge_id=weekly.id, period_key="2026-W12"
    )
    assert (week_12.current, week_12.completed_at) == (1, None)


async def test_weeks_of_a_weekly_challenge_follow_the_members_time_zone() -> None:
    # Sunday 23:30 UTC is already Monday in Madrid: a new week there.
    sunday_night = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    engine = AchievementEngine()
    weekly = await challenge(
        "two-a-week",
        Rule(event="PURCHASE", aggregate="COUNT", target=2),
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
        sunday_night,
        recurrence=Recurrence.WEEKLY,
    )
    madrid = await member("madrid", sunday_night, time_zone="Europe/Madrid")
    utc = await member("utc", sunday_night)
    for someone in (madrid, utc):
        await observe(engine, purchase(someone.id, sunday_night - days(1)), sunday_night)
        await observe(engine, purchase(someone.id, sunday_night), sunday_night)
    assert await ChallengeCompletion.filter(member_id=utc.id).count() == 1
    assert await ChallengeCompletion.filter(member_id=madrid.id).count() == 0
    row = await RuleProgress.get(member_id=madrid.id, challenge_id=weekly.id, period_key="2026-W11")
    assert row.current == 1


async def test_only_challenges_active_when_the_activity_happened_count_it() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    engine = AchievementEngine()
    once = Rule(event="PURCHASE", aggregate="COUNT", target=1)
    ended = await challenge("ended", once, now - days(10), now - days(1), now)
    upcoming = await challenge("upcoming", once, now + days(1), now + days(10), now)
    active = await challenge("active", once, now - days(1), now + days(1), now)
    ana = await member("ana", now)

    late = await observe(engine, purchase(ana.id, now - days(2)), now)
    current = await observe(engine, purchase(ana.id, now), now)

    assert late.challenge_ids == [ended.id]  # reported late, but made while it ran
    assert current.challenge_ids == [active.id]
    assert not await ChallengeCompletion.filter(challenge_id=upcoming.id).exists()


async def test_a_completed_challenge_awards_its_reward_badge_with_its_points() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    engine = AchievementEngine()
    trophy = await badge(
        "trophy", Rule(event="REFERRAL", aggregate="COUNT", target=5), now, reward_points=30
    )
    sprint = await challenge(
        "sprint",
        Rule(event="PURCHASE", aggregate="SUM_AMOUNT", target=100),
        now - days(1),
        now + days(6),
        now,
        reward_points=70,
        reward_badge_code="trophy",
    )
    ana = await member("ana", now)
    await observe(engine, purchase(ana.id, now, amount="60.00"), now)
    awards = await observe(engine, purchase(ana.id, now, amount="40.00"), now)

    assert awards.challenge_ids == [sprint.id]
    assert awards.badge_ids == [trophy.id]
    assert awards.points_awarded == 100
    assert (await ledger.summary(ana.id, now)).balance == 100
    assert (await Badge.get(id=trophy.id)).holders_count == 1


async def test_a_daily_streak_counts_days_in_the_members_time_zone() -> None:
    engine = AchievementEngine()
    start = datetime(2026, 3, 27, 22, 30, tzinfo=UTC)  # 23:30 in Madrid, Friday
    streak = await badge(
        "three-days", Rule(event="SHARE", aggregate="STREAK_DAYS", target=3), start
    )
    ana = await member("ana", start, time_zone="Europe/Madrid")
    # Friday 23:30, Saturday 23:30 and Sunday 23:30 in Madrid (the clocks go forward on
    # Sunday: 21:30 UTC), three local days in a row.
    moments = [start, start + days(1), datetime(2026, 3, 29, 21, 30, tzinfo=UTC)]
    awarded = [(await observe(engine, share(ana.id, m), m)).badge_ids for m in moments]
    assert awarded == [[], [], [streak.id]]


async def test_a_segment_challenge_counts_only_for_the_segments_members() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    engine = AchievementEngine()
    await upsert_segment("spain", "Spain", SegmentRule(countries=("ES",)), now)
    spanish = await challenge(
        "spain-only",
        Rule(event="PURCHASE", aggregate="COUNT", target=1),
        now - days(1),
        now + days(1),
        now,
        segment_code="spain",
    )
    ana = await member("ana", now, country="ES")
    tom = await member("tom", now, country="GB")

    in_segment = await observe(engine, purchase(ana.id, now), now)
    outside = await observe(engine, purchase(tom.id, now), now)

    assert in_segment.challenge_ids == [spanish.id]
    assert outside.challenge_ids == []
    assert not await RuleProgress.filter(member_id=tom.id).exists()
