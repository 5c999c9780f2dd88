"""Coupons at the checkout and after: lookup, use, expiry and cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FrozenClock
from domain.errors import AlreadyUsed, Expired, InvalidCode, InvalidInput
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EarningRules, EntryKind, PointsEntry
from domain.rewards.coupons import cancel_coupon, expire_coupons, find_coupon, use_coupon
from domain.rewards.models import CouponStatus, Redemption, Reward
from domain.rewards.redemption import redeem_reward
from tests.fakes.activity import RecordingObserver
from tests.integration.rewards_support import balance, member_with_points, reward

pytestmark = pytest.mark.usefixtures("db")


async def redeemed(customer_id: str, clock: FrozenClock, **reward_changes: object) -> Redemption:
    now = clock.now()
    member = await member_with_points(customer_id, 100, now)
    offer = await reward(now, **{"cost_points": 100, **reward_changes})
    return (await redeem_reward(member, offer.id, None, now, RecordingObserver())).redemption


async def test_the_shop_finds_a_coupon_however_the_code_was_typed() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c1", clock)
    bare = coupon.code.removeprefix("FD-").replace("-", "")
    for typed in (coupon.code, coupon.code.lower(), bare, " ".join(bare)):
        found = await find_coupon(typed)
        assert found is not None and found.id == coupon.id


async def test_a_guessed_code_finds_nothing_whether_or_not_a_similar_one_exists() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c2", clock)
    last = coupon.code[-1]
    similar = coupon.code[:-1] + ("B" if last != "B" else "C")
    assert await find_coupon(similar) is None
    assert await find_coupon("FD-2222-2222-2222-22") is None
    assert await find_coupon("not a code") is None
    errors = []
    for guess in (similar, "FD-2222-2222-2222-22", "not a code"):
        with pytest.raises(InvalidCode) as raised:
            await use_coupon(guess, "order-1", clock.now())
        errors.append((raised.value.code, tuple(raised.value.field or ()), raised.value.message))
    assert len(set(errors)) == 1
    assert (await Redemption.get(id=coupon.id)).status == CouponStatus.ACTIVE


async def test_a_coupon_is_used_once_for_an_order() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c3", clock)
    clock.advance(hours=2)
    used = await use_coupon(coupon.code.lower(), "order-9", clock.now())
    assert (used.status, used.used_order_id, used.used_at) == (
        CouponStatus.USED,
        "order-9",
        clock.now(),
    )
    event = await OutboxEvent.get(kind="CouponUsed")
    assert event.payload == {
        "member_id": coupon.member_id,
        "redemption_id": coupon.id,
        "order_id": "order-9",
    }


async def test_using_it_again_for_the_same_order_is_a_harmless_retry() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c4", clock)
    await use_coupon(coupon.code, "order-9", clock.now())
    again = await use_coupon(coupon.code, "order-9", clock.now() + timedelta(minutes=1))
    assert (again.status, again.used_at) == (CouponStatus.USED, clock.now())
    assert await OutboxEvent.filter(kind="CouponUsed").count() == 1


async def test_a_second_use_for_another_order_says_the_coupon_was_already_used() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c5", clock)
    await use_coupon(coupon.code, "order-1", clock.now())
    with pytest.raises(AlreadyUsed) as raised:
        await use_coupon(coupon.code, "order-2", clock.now())
    assert raised.value.field == ["input", "code"]
    stored = await Redemption.get(id=coupon.id)
    assert (stored.status, stored.used_order_id) == (CouponStatus.USED, "order-1")


async def test_a_coupon_past_its_expiry_cannot_be_used_even_before_the_job_runs() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c6", clock, coupon_valid_days=7)
    clock.advance(days=7)
    with pytest.raises(Expired) as raised:
        await use_coupon(coupon.code, "order-1", clock.now())
    assert raised.value.field == ["input", "code"]
    stored = await Redemption.get(id=coupon.id)
    assert (stored.status, stored.status_at(clock.now())) == (
        CouponStatus.ACTIVE,
        CouponStatus.EXPIRED,
    )


async def test_an_order_id_is_required() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c7", clock)
    for order in ("", "  ", "x" * 129):
        with pytest.raises(InvalidInput) as raised:
            await use_coupon(coupon.code, order, clock.now())
        assert raised.value.field == ["input", "orderId"]
    assert (await Redemption.get(id=coupon.id)).status == CouponStatus.ACTIVE


async def test_expired_coupons_give_their_points_and_stock_back_once() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c8", clock, coupon_valid_days=7, stock=5)
    member_id = coupon.member_id
    fresh = await redeemed("c8-other", clock, coupon_valid_days=30, stock=5)
    clock.advance(days=7)

    assert await expire_coupons(clock.now()) == 1
    assert await expire_coupons(clock.now()) == 0

    expired = await Redemption.get(id=coupon.id)
    assert (expired.status, expired.closed_at, expired.points_returned) == (
        CouponStatus.EXPIRED,
        clock.now(),
        100,
    )
    assert (await Redemption.get(id=fresh.id)).status == CouponStatus.ACTIVE
    returned = await PointsEntry.get(member_id=member_id, kind=EntryKind.REDEEM, delta__gt=0)
    assert (returned.delta, returned.reference) == (100, f"redemption:{coupon.id}")
    summary = await ledger.summary(member_id, clock.now())
    assert (summary.balance, summary.lifetime_earned) == (100, 100)
    assert (await Reward.get(id=coupon.reward_id)).remaining_stock == 4
    event = await OutboxEvent.get(kind="CouponExpired")
    assert event.payload == {
        "member_id": member_id,
        "redemption_id": coupon.id,
        "points_returned": 100,
    }


async def test_when_the_program_keeps_the_points_an_expired_coupon_returns_none() -> None:
    clock = FrozenClock()
    await EarningRules.create(id=1, refund_expired_coupons=False)
    coupon = await redeemed("c9", clock, coupon_valid_days=1)
    clock.advance(days=2)
    assert await expire_coupons(clock.now()) == 1
    stored = await Redemption.get(id=coupon.id)
    assert (stored.status, stored.points_returned) == (CouponStatus.EXPIRED, 0)
    assert await PointsEntry.filter(member_id=coupon.member_id, delta__gt=0).count() == 1
    assert (await ledger.summary(coupon.member_id, clock.now())).balance == 0


async def test_returned_points_keep_the_expiry_of_the_points_that_paid() -> None:
    clock = FrozenClock()
    now = clock.now()
    member = await member_with_points("c10", 0, now)
    soon = await ledger.credit(
        member.id, 60, EntryKind.EARN, "soon", now, expires_at=now + timedelta(days=3)
    )
    later = await ledger.credit(
        member.id, 60, EntryKind.EARN, "later", now, expires_at=now + timedelta(days=90)
    )
    offer = await reward(now, cost_points=100, coupon_valid_days=5)
    coupon = (await redeem_reward(member, offer.id, None, now, RecordingObserver())).redemption
    clock.advance(days=5)

    await expire_coupons(clock.now())

    await soon.refresh_from_db()
    await later.refresh_from_db()
    assert (soon.remaining, later.remaining) == (60, 60)
    assert (await Redemption.get(id=coupon.id)).points_returned == 100
    # The lot that expired while the coupon held its points stays expired.
    assert await balance(member, clock.now()) == 60
    summary = await ledger.summary(member.id, clock.now())
    assert summary.lifetime_earned == 120


async def test_used_coupons_never_expire() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c11", clock, coupon_valid_days=1)
    await use_coupon(coupon.code, "order-1", clock.now())
    clock.advance(days=3)
    assert await expire_coupons(clock.now()) == 0
    assert (await Redemption.get(id=coupon.id)).status == CouponStatus.USED


async def test_the_expiry_job_walks_through_many_batches() -> None:
    clock = FrozenClock()
    now = clock.now()
    member = await member_with_points("c12", 700, now)
    offer = await reward(now, cost_points=100, coupon_valid_days=1)
    for _ in range(7):
        await redeem_reward(member, offer.id, None, now, RecordingObserver())
    clock.advance(days=1)
    assert await expire_coupons(clock.now(), batch_size=3) == 7
    assert await balance(member, clock.now()) == 700


async def test_a_cancelled_coupon_gives_its_points_back_and_cannot_be_used() -> None:
    clock = FrozenClock()
    coupon = await redeemed("c13", clock, stock=1)
    cancelled = await cancel_coupon(coupon.id, clock.now(), "customer service")
    assert (cancelled.status, cancelled.points_returned) == (CouponStatus.CANCELLED, 100)
    assert await balance(await cancelled.member, clock.now()) == 100
    assert (await Reward.get(id=coupon.reward_id)).remaining_stock == 1
    with pytest.raises(InvalidCode):
        await use_coupon(coupon.code, "order-1", clock.now())
    with pytest.raises(InvalidCode):
        await cancel_coupon(coupon.id, clock.now(), "again")
    assert await OutboxEvent.filter(kind="CouponCancelled").count() == 1
