"""Back-fill: a new badge evaluated over the purchases and engagements already recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.achievements.models import Badge, MemberBadge, RuleProgress
from domain.errors import InvalidInput, NotFound
from domain.outbox.models import OutboxEvent
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.models import Channel, Purchase
from domain.referrals.models import Engagement, EngagementKind
from gamification.achievements.backfill import backfill_badge
from gamification.achievements.engine import AchievementEngine
from gamification.rules import Rule
from tests.integration.achievements_setup import (
    SHOES_3_IN_30,
    badge,
    days,
    member,
    observe,
    purchase,
)

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


async def recorded_purchase(
    member_id: int, order_id: str, occurred_at: datetime, categories: list[str]
) -> Purchase:
    return await Purchase.create(
        order_id=order_id,
        member_id=member_id,
        amount=Decimal("40.00"),
        currency="EUR",
        channel=Channel.APP,
        occurred_at=occurred_at,
        recorded_at=occurred_at,
        points_earned=40,
        categories=categories,
    )


async def test_backfill_awards_members_whose_history_met_the_rule_once_only() -> None:
    ana = await member("ana", NOW)  # three shoe purchases within 30 days, a year ago
    bea = await member("bea", NOW)  # three shoe purchases, too far apart
    cid = await member("cid", NOW)  # three purchases, only two of shoes
    year_ago = NOW - days(365)
    for n, offset in enumerate((0, 10, 20)):
        await recorded_purchase(ana.id, f"A-{n}", year_ago + days(offset), ["shoes"])
    for n, offset in enumerate((0, 40, 80)):
        await recorded_purchase(bea.id, f"B-{n}", year_ago + days(offset), ["shoes", "socks"])
    for n, category in enumerate(("shoes", "hats", "shoes")):
        await recorded_purchase(cid.id, f"C-{n}", NOW - days(n), [category])
    shoes = await badge("shoe-lover", SHOES_3_IN_30, NOW, reward_points=25)

    first = await backfill_badge("shoe-lover", NOW, batch_size=2)
    second = await backfill_badge("shoe-lover", NOW, batch_size=2)

    assert (first, second) == (1, 0)
    assert [h.member_id for h in await MemberBadge.filter(badge_id=shoes.id)] == [ana.id]
    assert (await Badge.get(id=shoes.id)).holders_count == 1
    bonus = await PointsEntry.filter(kind=EntryKind.BONUS)
    assert [(e.member_id, e.delta) for e in bonus] == [(ana.id, 25)]
    assert await OutboxEvent.filter(kind="BadgeEarned").count() == 1
    rows = await RuleProgress.filter(badge_id=shoes.id)
    progress = {row.member_id: row.current for row in rows}  # type: ignore[attr-defined]
    assert progress == {ana.id: 3, bea.id: 0, cid.id: 2}


async def test_live_activities_continue_from_the_backfilled_progress() -> None:
    cid = await member("cid", NOW)
    await recorded_purchase(cid.id, "C-1", NOW - days(2), ["shoes"])
    await recorded_purchase(cid.id, "C-2", NOW - days(1), ["shoes"])
    shoes = await badge("shoe-lover", SHOES_3_IN_30, NOW)
    assert await backfill_badge("shoe-lover", NOW) == 0

    engine = AchievementEngine()
    # The second purchase delivered again is recognised by its reference.
    again = await observe(engine, purchase(cid.id, NOW - days(1), order_id="C-2"), NOW)
    third = await observe(engine, purchase(cid.id, NOW, order_id="C-3"), NOW)

    assert again.badge_ids == []
    assert third.badge_ids == [shoes.id]


async def test_backfill_replays_engagements_of_the_rules_kind() -> None:
    ana = await member("ana", NOW)
    for n in range(3):
        await Engagement.create(
            member_id=ana.id,
            kind=EngagementKind.REVIEW,
            reference=f"product-{n}",
            occurred_at=NOW - days(n),
            local_date=date(2026, 6, 1),
            points_awarded=50,
        )
    await Engagement.create(
        member_id=ana.id,
        kind=EngagementKind.SHARE,
        reference="post",
        occurred_at=NOW,
        local_date=date(2026, 6, 1),
    )
    critic = await badge("critic", Rule(event="REVIEW", aggregate="SUM_POINTS", target=150), NOW)
    sharer = await badge("sharer", Rule(event="SHARE", aggregate="COUNT", target=2), NOW)

    assert await backfill_badge("critic", NOW) == 1
    assert await backfill_badge("sharer", NOW) == 0
    assert [h.badge_id for h in await MemberBadge.filter(member_id=ana.id)] == [critic.id]
    assert (await RuleProgress.get(badge_id=sharer.id)).current == 1


async def test_backfill_refuses_an_unknown_badge_and_kinds_without_history() -> None:
    await badge("ambassador", Rule(event="REFERRAL", aggregate="COUNT", target=3), NOW)
    with pytest.raises(NotFound) as unknown:
        await backfill_badge("nope", NOW)
    with pytest.raises(InvalidInput) as no_history:
        await backfill_badge("ambassador", NOW)
    assert unknown.value.field == ["code"]
    assert no_history.value.field == ["code"]
    assert await RuleProgress.all().count() == 0


async def test_the_backfill_reports_its_progress_batch_by_batch() -> None:
    for n in range(5):
        await member(f"p-{n}", NOW)
    await badge("ANY", Rule(event="PURCHASE", aggregate="COUNT", target=1), NOW)
    heard: list[tuple[int, int]] = []
    await backfill_badge("ANY", NOW, batch_size=2, progress=lambda d, t: heard.append((d, t)))
    assert heard == [(2, 5), (4, 5), (5, 5)]
