"""Concurrent activities: awards stay exactly once and counters exact (PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from domain.achievements.models import Badge, ChallengeCompletion, MemberBadge, RuleProgress
from domain.outbox.models import OutboxEvent
from domain.points.models import EntryKind, PointsEntry
from gamification.achievements.engine import AchievementEngine
from gamification.rules import Rule
from tests.integration.achievements_setup import (
    badge,
    challenge,
    days,
    member,
    observe,
    purchase,
    share,
)

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.postgres]

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


async def test_concurrent_purchases_of_one_member_count_each_and_award_once() -> None:
    engine = AchievementEngine()
    five = await badge(
        "five", Rule(event="PURCHASE", aggregate="COUNT", target=5), NOW, reward_points=10
    )
    sprint = await challenge(
        "sprint", Rule(event="PURCHASE", aggregate="COUNT", target=3), NOW, NOW + days(1), NOW
    )
    ana = await member("ana", NOW)
    activities = [purchase(ana.id, NOW, order_id=f"A-{n}") for n in range(12)]

    results = await asyncio.gather(*(observe(engine, a, NOW) for a in activities))

    assert sum(len(r.badge_ids) for r in results) == 1
    assert sum(len(r.challenge_ids) for r in results) == 1
    assert await MemberBadge.filter(badge_id=five.id).count() == 1
    assert (await Badge.get(id=five.id)).holders_count == 1
    assert await ChallengeCompletion.filter(challenge_id=sprint.id).count() == 1
    assert await PointsEntry.filter(kind=EntryKind.BONUS).count() == 1
    assert await OutboxEvent.filter(kind="BadgeEarned").count() == 1
    row = await RuleProgress.get(badge_id=five.id)
    assert row.current == 5 and row.completed_at is not None


async def test_the_same_activity_delivered_concurrently_awards_once() -> None:
    engine = AchievementEngine()
    first = await badge("first", Rule(event="PURCHASE", aggregate="COUNT", target=1), NOW)
    ana = await member("ana", NOW)
    activity = purchase(ana.id, NOW, order_id="A-1")

    results = await asyncio.gather(*(observe(engine, activity, NOW) for _ in range(10)))

    assert [r.badge_ids for r in results].count([first.id]) == 1
    assert (await Badge.get(id=first.id)).holders_count == 1


async def test_many_members_earning_a_badge_at_once_keep_the_holder_count_exact() -> None:
    engine = AchievementEngine()
    first = await badge("first", Rule(event="PURCHASE", aggregate="COUNT", target=1), NOW)
    members = [await member(f"m{n}", NOW) for n in range(20)]

    await asyncio.gather(*(observe(engine, purchase(m.id, NOW), NOW) for m in members))

    assert (await Badge.get(id=first.id)).holders_count == 20
    assert await MemberBadge.filter(badge_id=first.id).count() == 20


async def test_members_earning_two_badges_in_opposite_orders_at_once_are_all_counted() -> None:
    engine = AchievementEngine()
    buyer = await badge("buyer", Rule(event="PURCHASE", aggregate="COUNT", target=1), NOW)
    sharer = await badge("sharer", Rule(event="SHARE", aggregate="COUNT", target=1), NOW)
    # A purchase earns buyer, then sharer through a challenge; a share the other way round.
    await challenge(
        "buy-once",
        Rule(event="PURCHASE", aggregate="COUNT", target=1),
        NOW - days(1),
        NOW + days(1),
        NOW,
        reward_badge_code="sharer",
    )
    await challenge(
        "share-once",
        Rule(event="SHARE", aggregate="COUNT", target=1),
        NOW - days(1),
        NOW + days(1),
        NOW,
        reward_badge_code="buyer",
    )
    buyers = [await member(f"b{n}", NOW) for n in range(10)]
    sharers = [await member(f"s{n}", NOW) for n in range(10)]

    await asyncio.gather(
        *(observe(engine, purchase(m.id, NOW), NOW) for m in buyers),
        *(observe(engine, share(m.id, NOW), NOW) for m in sharers),
    )

    assert (await Badge.get(id=buyer.id)).holders_count == 20
    assert (await Badge.get(id=sharer.id)).holders_count == 20
    assert await MemberBadge.all().count() == 40
