"""Redeeming rewards: the ledger, the coupon, the stock and the limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from domain.clock import FrozenClock
from domain.errors import (
    Duplicate,
    InsufficientPoints,
    InvalidInput,
    LimitReached,
    NotEligible,
    NotFound,
    OutOfStock,
)
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EntryKind, PointsAllocation, PointsEntry
from domain.rewards.catalogue import RewardSpec, can_redeem, upsert_reward
from domain.rewards.models import CouponStatus, Redemption, Reward, RewardKind
from domain.rewards.redemption import grant_reward, redeem_reward
from tests.fakes.activity import RecordingObserver
from tests.integration.rewards_support import balance, ledger_rows, member_with_points, reward

pytestmark = pytest.mark.usefixtures("db")

CODE = re.compile(r"^FD-[2-9B-DF-HJ-KM-NP-TV-Z]{4}-[^-]{4}-[^-]{4}-[^-]{2}$")


async def test_a_redemption_spends_the_oldest_points_and_issues_a_coupon() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m1", 0, now)
    old = await ledger.credit(member.id, 80, EntryKind.EARN, "old", now - timedelta(days=9))
    new = await ledger.credit(member.id, 80, EntryKind.EARN, "new", now - timedelta(days=1))
    offer = await reward(now, cost_points=100, coupon_valid_days=30)
    observer = RecordingObserver()

    result = await redeem_reward(member, offer.id, "k1", now, observer)

    coupon = result.redemption
    assert CODE.match(coupon.code)
    assert (coupon.status, coupon.points_spent, coupon.reward_id) == (
        CouponStatus.ACTIVE,
        100,
        offer.id,
    )
    assert (coupon.created_at, coupon.expires_at) == (now, now + timedelta(days=30))
    assert not result.replayed
    await old.refresh_from_db()
    await new.refresh_from_db()
    assert (old.remaining, new.remaining) == (0, 60)
    debit = await PointsEntry.get(id=coupon.debit_entry_id)
    assert (debit.kind, debit.delta, debit.reference) == (
        EntryKind.REDEEM,
        -100,
        f"redemption:{coupon.id}",
    )
    assert sorted(
        (a.credit_id, a.points) for a in await PointsAllocation.filter(debit_id=debit.id)
    ) == [(old.id, 80), (new.id, 20)]
    assert await balance(member, now) == 60
    assert [(a.kind, a.reference, a.points) for a in observer.seen] == [
        ("REDEMPTION", f"redemption:{coupon.id}", 100)
    ]
    event = await OutboxEvent.get(kind="RewardRedeemed")
    assert event.payload == {
        "member_id": member.id,
        "redemption_id": coupon.id,
        "reward_id": offer.id,
        "reward_code": "TEN-OFF",
        "points": 100,
        "expires_at": (now + timedelta(days=30)).isoformat(),
    }


async def test_a_retry_with_the_same_key_returns_the_first_redemption_and_spends_nothing() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m2", 500, now)
    offer = await reward(now, cost_points=100)
    first = await redeem_reward(member, offer.id, "same", now, RecordingObserver())
    again = await redeem_reward(member, offer.id, "same", now, RecordingObserver())
    assert again.replayed
    assert again.redemption.id == first.redemption.id
    assert again.redemption.code == first.redemption.code
    assert await balance(member, now) == 400
    assert await Redemption.filter(member_id=member.id).count() == 1
    assert await OutboxEvent.filter(kind="RewardRedeemed").count() == 1


async def test_the_same_key_for_another_reward_is_a_duplicate() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m3", 500, now)
    first = await reward(now, code="A", cost_points=100)
    second = await reward(now, code="B", cost_points=50)
    await redeem_reward(member, first.id, "k", now, RecordingObserver())
    with pytest.raises(Duplicate) as raised:
        await redeem_reward(member, second.id, "k", now, RecordingObserver())
    assert raised.value.field == ["input", "idempotencyKey"]
    assert await balance(member, now) == 400


async def test_keys_are_per_member() -> None:
    now = FrozenClock().now()
    ana = await member_with_points("ana", 100, now)
    bob = await member_with_points("bob", 100, now)
    offer = await reward(now, cost_points=100)
    a = await redeem_reward(ana, offer.id, "checkout-1", now, RecordingObserver())
    b = await redeem_reward(bob, offer.id, "checkout-1", now, RecordingObserver())
    assert a.redemption.id != b.redemption.id
    assert (await balance(ana, now), await balance(bob, now)) == (0, 0)


async def assert_nothing_changed(member_id: int, reward_id: int, entries: int, stock: int | None):
    assert await PointsEntry.filter(member_id=member_id).count() == entries
    assert await Redemption.filter(member_id=member_id).count() == 0
    assert (await Reward.get(id=reward_id)).remaining_stock == stock
    assert await OutboxEvent.filter(kind="RewardRedeemed").count() == 0


async def test_not_enough_points_debits_nothing_and_takes_no_stock() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m4", 99, now)
    offer = await reward(now, cost_points=100, stock=5)
    observer = RecordingObserver()
    with pytest.raises(InsufficientPoints):
        await redeem_reward(member, offer.id, None, now, observer)
    await assert_nothing_changed(member.id, offer.id, 1, 5)
    assert await balance(member, now) == 99
    assert observer.seen == []


async def test_pending_points_cannot_pay_for_a_reward() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m5", 0, now)
    await ledger.credit(
        member.id, 500, EntryKind.EARN, "pending", now, available_at=now + timedelta(days=3)
    )
    offer = await reward(now, cost_points=100)
    with pytest.raises(InsufficientPoints):
        await redeem_reward(member, offer.id, None, now, RecordingObserver())
    await assert_nothing_changed(member.id, offer.id, 1, None)


async def test_a_reward_out_of_stock_is_refused() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m6", 500, now)
    offer = await reward(now, stock=0)
    with pytest.raises(OutOfStock) as raised:
        await redeem_reward(member, offer.id, None, now, RecordingObserver())
    assert raised.value.field == ["input", "rewardId"]
    await assert_nothing_changed(member.id, offer.id, 1, 0)
    assert await balance(member, now) == 500


async def test_a_tier_below_the_rewards_minimum_is_not_eligible() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m7", 500, now, tier_level=1)
    offer = await reward(now, min_tier_level=2)
    with pytest.raises(NotEligible):
        await redeem_reward(member, offer.id, None, now, RecordingObserver())
    await assert_nothing_changed(member.id, offer.id, 1, None)
    gold = await member_with_points("m7-gold", 500, now, tier_level=2)
    assert (await redeem_reward(gold, offer.id, None, now, RecordingObserver())).redemption


async def test_an_unknown_or_withdrawn_reward_is_not_found() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m8", 500, now)
    withdrawn = await reward(now, active=False)
    for reward_id in (withdrawn.id, withdrawn.id + 1000):
        with pytest.raises(NotFound) as raised:
            await redeem_reward(member, reward_id, None, now, RecordingObserver())
        assert raised.value.field == ["input", "rewardId"]
    await assert_nothing_changed(member.id, withdrawn.id, 1, None)


async def test_the_per_member_limit_counts_held_and_used_coupons_only() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m9", 1000, now)
    offer = await reward(now, cost_points=100, per_member_limit=2)
    first = await redeem_reward(member, offer.id, None, now, RecordingObserver())
    await redeem_reward(member, offer.id, None, now, RecordingObserver())
    with pytest.raises(LimitReached):
        await redeem_reward(member, offer.id, None, now, RecordingObserver())
    assert await balance(member, now) == 800
    await Redemption.filter(id=first.redemption.id).update(status=CouponStatus.EXPIRED)
    await redeem_reward(member, offer.id, None, now, RecordingObserver())
    assert await balance(member, now) == 700


async def test_a_free_reward_spends_nothing() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m10", 0, now)
    offer = await reward(now, kind=RewardKind.FREE_SHIPPING, value=None, cost_points=0)
    result = await redeem_reward(member, offer.id, None, now, RecordingObserver())
    assert (result.redemption.points_spent, result.redemption.debit_entry_id) == (0, None)
    assert await ledger_rows(member) == []


async def test_a_coupon_that_never_expires_has_no_expiry() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m11", 100, now)
    offer = await reward(now, coupon_valid_days=None)
    assert (
        await redeem_reward(member, offer.id, None, now, RecordingObserver())
    ).redemption.expires_at is None


async def test_an_invalid_idempotency_key_is_refused() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m12", 100, now)
    offer = await reward(now)
    for key in ("", " k", "k" * 129):
        with pytest.raises(InvalidInput) as raised:
            await redeem_reward(member, offer.id, key, now, RecordingObserver())
        assert raised.value.field == ["input", "idempotencyKey"]
    await assert_nothing_changed(member.id, offer.id, 1, None)


async def test_can_redeem_weighs_points_tier_stock_and_limit() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m13", 150, now, tier_level=1)
    cheap = await reward(now, code="CHEAP", cost_points=100, per_member_limit=1)
    dear = await reward(now, code="DEAR", cost_points=200)
    gold = await reward(now, code="GOLD", cost_points=10, min_tier_level=2)
    gone = await reward(now, code="GONE", cost_points=10, stock=0)
    assert [await can_redeem(member, r, now) for r in (cheap, dear, gold, gone)] == [
        True,
        False,
        False,
        False,
    ]
    await redeem_reward(member, cheap.id, None, now, RecordingObserver())
    assert not await can_redeem(member, cheap, now)


async def test_raising_the_stock_keeps_what_was_already_issued() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m14", 1000, now)
    offer = await reward(now, stock=3)
    await redeem_reward(member, offer.id, None, now, RecordingObserver())
    await redeem_reward(member, offer.id, None, now, RecordingObserver())
    assert (await Reward.get(id=offer.id)).remaining_stock == 1
    again, created = await upsert_reward(
        RewardSpec(
            code="TEN-OFF",
            name="10% off",
            description="Ten percent off your next order",
            kind=RewardKind.PERCENT_DISCOUNT,
            cost_points=100,
            value=offer.value,
            stock=3,
        ),
        now,
    )
    assert (created, again.remaining_stock, again.updated_at) == (False, 1, offer.updated_at)
    raised = await reward(now + timedelta(hours=1), stock=10)
    assert (raised.stock, raised.remaining_stock) == (10, 8)
    lowered = await reward(now + timedelta(hours=2), stock=1)
    assert (lowered.stock, lowered.remaining_stock) == (1, 0)


async def test_a_granted_coupon_costs_nothing_and_is_granted_once_per_reference() -> None:
    now = FrozenClock().now()
    member = await member_with_points("m15", 0, now)
    offer = await reward(now, cost_points=900, stock=2, min_tier_level=3)
    first = await grant_reward(member.id, "TEN-OFF", "promotion:7:2026-01-15", now)
    again = await grant_reward(member.id, "TEN-OFF", "promotion:7:2026-01-15", now)
    assert first.id == again.id
    assert (first.points_spent, first.status) == (0, CouponStatus.ACTIVE)
    assert (await Reward.get(id=offer.id)).remaining_stock == 1
    assert await OutboxEvent.filter(kind="RewardGranted").count() == 1
    with pytest.raises(NotFound):
        await grant_reward(member.id, "NO-SUCH", "promotion:8", now)
