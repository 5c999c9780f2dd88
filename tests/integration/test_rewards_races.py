"""Races on the real database: redemptions and coupon uses, many at once."""

from __future__ import annotations

import asyncio

import pytest

from domain.clock import FrozenClock
from domain.errors import AlreadyUsed, DomainError, InsufficientPoints, OutOfStock
from domain.points.models import PointsEntry
from domain.rewards.coupons import expire_coupons, use_coupon
from domain.rewards.models import CouponStatus, Redemption, Reward
from domain.rewards.redemption import redeem_reward
from tests.fakes.activity import RecordingObserver
from tests.integration.rewards_support import balance, member_with_points, reward

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.postgres]


async def outcome(call) -> str:  # type: ignore[no-untyped-def]
    try:
        await call
        return "ok"
    except DomainError as exc:
        return exc.code


async def test_twenty_concurrent_redemptions_with_points_for_three_grant_exactly_three() -> None:
    now = FrozenClock().now()
    member = await member_with_points("racer", 350, now)
    offer = await reward(now, cost_points=100)

    results = await asyncio.gather(
        *(
            outcome(redeem_reward(member, offer.id, f"key-{i}", now, RecordingObserver()))
            for i in range(20)
        )
    )

    assert results.count("ok") == 3
    assert results.count(InsufficientPoints.code) == 17
    assert await balance(member, now) == 50
    assert await Redemption.filter(member_id=member.id).count() == 3
    lots = await PointsEntry.filter(member_id=member.id, delta__gt=0)
    assert all(lot.remaining >= 0 for lot in lots)
    assert sum(e.delta for e in await PointsEntry.filter(member_id=member.id)) == 50


async def test_twenty_concurrent_retries_with_one_key_redeem_once() -> None:
    now = FrozenClock().now()
    member = await member_with_points("retrier", 1000, now)
    offer = await reward(now, cost_points=100)

    results = await asyncio.gather(
        *(redeem_reward(member, offer.id, "one-key", now, RecordingObserver()) for _ in range(20))
    )

    assert len({r.redemption.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await balance(member, now) == 900


async def test_a_hundred_members_racing_for_a_stock_of_ten_get_exactly_ten_coupons() -> None:
    now = FrozenClock().now()
    offer = await reward(now, cost_points=100, stock=10)
    members = [await member_with_points(f"fan{i}", 100, now) for i in range(100)]

    results = await asyncio.gather(
        *(outcome(redeem_reward(m, offer.id, None, now, RecordingObserver())) for m in members)
    )

    assert results.count("ok") == 10
    assert results.count(OutOfStock.code) == 90
    assert await Redemption.filter(reward_id=offer.id).count() == 10
    assert (await Reward.get(id=offer.id)).remaining_stock == 0
    balances = [await balance(m, now) for m in members]
    assert sorted(balances) == [0] * 10 + [100] * 90


async def test_a_coupon_used_concurrently_for_twenty_orders_is_used_exactly_once() -> None:
    now = FrozenClock().now()
    member = await member_with_points("shopper", 100, now)
    offer = await reward(now, cost_points=100)
    coupon = (await redeem_reward(member, offer.id, None, now, RecordingObserver())).redemption

    results = await asyncio.gather(
        *(outcome(use_coupon(coupon.code, f"order-{i}", now)) for i in range(20))
    )

    assert results.count("ok") == 1
    assert results.count(AlreadyUsed.code) == 19
    used = await Redemption.get(id=coupon.id)
    assert used.status == CouponStatus.USED
    assert used.used_order_id == f"order-{results.index('ok')}"


async def test_expiry_jobs_running_at_once_return_each_coupons_points_once() -> None:
    clock = FrozenClock()
    now = clock.now()
    member = await member_with_points("holder", 1000, now)
    offer = await reward(now, cost_points=100, coupon_valid_days=1, stock=20)
    for _ in range(10):
        await redeem_reward(member, offer.id, None, now, RecordingObserver())
    later = clock.advance(days=1)

    expired = await asyncio.gather(*(expire_coupons(later, batch_size=4) for _ in range(5)))

    assert sum(expired) == 10
    assert await balance(member, later) == 1000
    assert await Redemption.filter(status=CouponStatus.EXPIRED).count() == 10
    assert (await Reward.get(id=offer.id)).remaining_stock == 20
