"""Referrals: applying a friend's code, completion on the first purchase, refunds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import FrozenClock
from domain.errors import InvalidCode, NotEligible, SelfReferral
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EarningRules, EntryKind, PointsEntry
from domain.referrals.models import Referral, ReferralStatus
from domain.referrals.services import (
    apply_referral_code,
    cancel_referral_on_refund,
    complete_referral_on_first_purchase,
    referrer_of,
)
from tests.fakes.activity import RecordingObserver
from tests.integration.rewards_support import purchase, refund

pytestmark = pytest.mark.usefixtures("db")


async def pair(now: datetime, referrer: str = "ana", referee: str = "bob") -> tuple[Member, Member]:
    return await get_or_create_member(referrer, now), await get_or_create_member(referee, now)


async def points(member: Member, now: datetime) -> tuple[int, int]:
    summary = await ledger.summary(member.id, now)
    return summary.balance, summary.pending


# ---------------------------------------------------------------- applying a code


async def test_a_new_member_applies_a_friends_code() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    typed = " ".join(ana.referral_code.lower())
    assert (await apply_referral_code(bob, typed, now)).id == ana.id
    referral = await Referral.get(referee_id=bob.id)
    assert (referral.referrer_id, referral.status, referral.applied_at) == (
        ana.id,
        ReferralStatus.APPLIED,
        now,
    )
    assert (await referrer_of(bob.id)).id == ana.id  # type: ignore[union-attr]
    assert await referrer_of(ana.id) is None


async def test_a_member_cannot_apply_their_own_code() -> None:
    now = FrozenClock().now()
    ana = await get_or_create_member("ana", now)
    with pytest.raises(SelfReferral) as raised:
        await apply_referral_code(ana, ana.referral_code, now)
    assert raised.value.field == ["input", "code"]
    assert await Referral.all().count() == 0


@pytest.mark.parametrize("code", ["ZZZZ2222", "short", "", "ÄÄÄÄÄÄÄÄ"])
async def test_an_unknown_code_is_invalid(code: str) -> None:
    now = FrozenClock().now()
    _, bob = await pair(now)
    with pytest.raises(InvalidCode) as raised:
        await apply_referral_code(bob, code, now)
    assert raised.value.field == ["input", "code"]
    assert await Referral.all().count() == 0


async def test_the_code_of_an_erased_member_is_invalid() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    await Member.filter(id=ana.id).update(erased_at=now)
    with pytest.raises(InvalidCode):
        await apply_referral_code(bob, ana.referral_code, now)


async def test_a_code_applies_only_once() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    carla = await get_or_create_member("carla", now)
    await apply_referral_code(bob, ana.referral_code, now)
    for code in (ana.referral_code, carla.referral_code):
        with pytest.raises(NotEligible):
            await apply_referral_code(bob, code, now)
    assert [(r.referrer_id, r.referee_id) for r in await Referral.all()] == [(ana.id, bob.id)]


async def test_a_member_who_already_purchased_cannot_apply_a_code() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    await purchase(bob, "A-1", now)
    with pytest.raises(NotEligible) as raised:
        await apply_referral_code(bob, ana.referral_code, now)
    assert raised.value.field == ["input", "code"]
    assert await Referral.all().count() == 0


async def test_a_referrer_cannot_become_the_referee_of_their_referee() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    await apply_referral_code(bob, ana.referral_code, now)
    with pytest.raises(NotEligible):
        await apply_referral_code(ana, bob.referral_code, now)
    assert await Referral.all().count() == 1


# ---------------------------------------------------------------- completion


async def test_the_first_purchase_rewards_both_with_points_pending_like_purchase_points() -> None:
    clock = FrozenClock()
    now = clock.now()
    ana, bob = await pair(now)
    await apply_referral_code(bob, ana.referral_code, now)
    bought_at = now - timedelta(hours=1)
    recorded = await purchase(bob, "A-1", bought_at)
    observer = RecordingObserver()

    referral = await complete_referral_on_first_purchase(recorded, now, observer)

    assert referral is not None
    available_at = bought_at + timedelta(days=14)
    assert (referral.status, referral.purchase_id, referral.available_at) == (
        ReferralStatus.COMPLETED,
        recorded.purchase_id,
        available_at,
    )
    assert (referral.referrer_points, referral.referee_points, referral.referrer_capped) == (
        500,
        250,
        False,
    )
    assert await points(ana, now) == (0, 500)
    assert await points(bob, now) == (0, 250)
    assert await points(ana, available_at) == (500, 0)
    credits = await PointsEntry.filter(kind=EntryKind.REFERRAL).order_by("id")
    assert [(c.member_id, c.delta, c.available_at, c.reference) for c in credits] == [
        (bob.id, 250, available_at, f"referral:{referral.id}"),
        (ana.id, 500, available_at, f"referral:{referral.id}"),
    ]
    assert [(a.member_id, a.kind, a.reference, a.points) for a in observer.seen] == [
        (ana.id, "REFERRAL", f"referral:{referral.id}", 500)
    ]
    completed = await OutboxEvent.get(kind="ReferralCompleted")
    assert completed.payload == {
        "referral_id": referral.id,
        "referrer_id": ana.id,
        "referee_id": bob.id,
        "referrer_points": 500,
        "referee_points": 250,
    }
    assert await OutboxEvent.filter(kind="PointsEarned").count() == 2


async def test_redelivering_the_purchase_event_rewards_nobody_twice() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    await apply_referral_code(bob, ana.referral_code, now)
    recorded = await purchase(bob, "A-1", now)
    assert await complete_referral_on_first_purchase(recorded, now) is not None
    assert await complete_referral_on_first_purchase(recorded, now) is None
    assert await PointsEntry.filter(kind=EntryKind.REFERRAL).count() == 2
    assert await OutboxEvent.filter(kind="ReferralCompleted").count() == 1


async def test_later_purchases_and_members_without_a_referral_change_nothing() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    first = await purchase(ana, "A-0", now)
    assert await complete_referral_on_first_purchase(first, now) is None
    await apply_referral_code(bob, ana.referral_code, now)
    recorded = await purchase(bob, "A-1", now)
    second = await purchase(bob, "A-2", now)
    assert second.first_purchase is False
    assert await complete_referral_on_first_purchase(second, now) is None
    assert await PointsEntry.all().count() == 0
    assert recorded.first_purchase


async def test_the_referrer_earns_nothing_beyond_the_monthly_cap_but_the_friend_does() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    await EarningRules.create(id=1, referrer_monthly_cap=2)
    ana = await get_or_create_member("ana", now)
    results = []
    for i, at in enumerate([now, now, now, datetime(2026, 4, 1, 9, tzinfo=UTC)]):
        friend = await get_or_create_member(f"friend{i}", at)
        await apply_referral_code(friend, ana.referral_code, at)
        referral = await complete_referral_on_first_purchase(
            await purchase(friend, f"F-{i}", at), at
        )
        assert referral is not None
        results.append(
            (referral.referrer_points, referral.referee_points, referral.referrer_capped)
        )
    assert results == [(500, 250, False), (500, 250, False), (0, 250, True), (500, 250, False)]
    assert await PointsEntry.filter(member_id=ana.id).count() == 3


# ---------------------------------------------------------------- refunds


async def test_a_refund_of_the_first_order_inside_the_return_window_cancels_both_rewards() -> None:
    clock = FrozenClock()
    ana, bob = await pair(clock.now())
    await apply_referral_code(bob, ana.referral_code, clock.now())
    recorded = await purchase(bob, "A-1", clock.now())
    await complete_referral_on_first_purchase(recorded, clock.now())
    clock.advance(days=5)
    refunded = await refund(recorded, "R-1", clock.now())

    referral = await cancel_referral_on_refund(refunded, clock.now())

    assert referral is not None and referral.status == ReferralStatus.CANCELLED
    later = clock.now() + timedelta(days=30)
    assert await points(ana, later) == (0, 0)
    assert await points(bob, later) == (0, 0)
    reversals = await PointsEntry.filter(kind=EntryKind.REVERSAL).order_by("id")
    assert [(r.member_id, r.delta, r.shortfall) for r in reversals] == [
        (bob.id, -250, 0),
        (ana.id, -500, 0),
    ]
    assert (await ledger.summary(ana.id, later)).lifetime_earned == 0
    cancelled = await OutboxEvent.get(kind="ReferralCancelled")
    assert cancelled.payload["referrer_points_reversed"] == 500
    assert cancelled.payload["referee_points_reversed"] == 250
    assert await cancel_referral_on_refund(refunded, clock.now()) is None
    assert await PointsEntry.filter(kind=EntryKind.REVERSAL).count() == 2


async def test_a_refund_after_the_return_window_leaves_the_rewards() -> None:
    clock = FrozenClock()
    ana, bob = await pair(clock.now())
    await apply_referral_code(bob, ana.referral_code, clock.now())
    recorded = await purchase(bob, "A-1", clock.now())
    await complete_referral_on_first_purchase(recorded, clock.now())
    clock.advance(days=15)
    refunded = await refund(recorded, "R-1", clock.now())
    assert await cancel_referral_on_refund(refunded, clock.now()) is None
    assert await points(ana, clock.now()) == (500, 0)
    assert (await Referral.get(referee_id=bob.id)).status == ReferralStatus.COMPLETED


async def test_a_refund_of_a_later_order_leaves_the_rewards() -> None:
    clock = FrozenClock()
    ana, bob = await pair(clock.now())
    await apply_referral_code(bob, ana.referral_code, clock.now())
    first = await purchase(bob, "A-1", clock.now())
    await complete_referral_on_first_purchase(first, clock.now())
    second = await purchase(bob, "A-2", clock.now())
    assert (
        await cancel_referral_on_refund(await refund(second, "R-2", clock.now()), clock.now())
        is None
    )
    assert await points(bob, clock.now()) == (0, 250)


async def test_a_refund_handled_before_the_completion_prevents_the_rewards() -> None:
    clock = FrozenClock()
    ana, bob = await pair(clock.now())
    await apply_referral_code(bob, ana.referral_code, clock.now())
    recorded = await purchase(bob, "A-1", clock.now())
    refunded = await refund(recorded, "R-1", clock.now())

    cancelled = await cancel_referral_on_refund(refunded, clock.now())
    late = await complete_referral_on_first_purchase(recorded, clock.now())

    assert cancelled is not None and cancelled.status == ReferralStatus.CANCELLED
    assert late is None
    assert await PointsEntry.all().count() == 0


async def test_the_reversal_waits_for_nothing_when_the_handler_runs_after_the_window() -> None:
    clock = FrozenClock()
    ana, bob = await pair(clock.now())
    await apply_referral_code(bob, ana.referral_code, clock.now())
    recorded = await purchase(bob, "A-1", clock.now())
    await complete_referral_on_first_purchase(recorded, clock.now())
    clock.advance(days=13)
    refunded = await refund(recorded, "R-1", clock.now())
    clock.advance(days=3)  # the outbox delivered the refund late
    assert await cancel_referral_on_refund(refunded, clock.now()) is not None
    assert await points(ana, clock.now()) == (0, 0)


@pytest.mark.postgres
async def test_concurrent_redeliveries_of_the_first_purchase_reward_once() -> None:
    now = FrozenClock().now()
    ana, bob = await pair(now)
    await apply_referral_code(bob, ana.referral_code, now)
    recorded = await purchase(bob, "A-1", now)
    results = await asyncio.gather(
        *(complete_referral_on_first_purchase(recorded, now) for _ in range(10))
    )
    assert sum(r is not None for r in results) == 1
    assert await PointsEntry.filter(kind=EntryKind.REFERRAL).count() == 2


@pytest.mark.postgres
async def test_concurrent_codes_applied_by_one_member_leave_one_referral() -> None:
    now = FrozenClock().now()
    bob = await get_or_create_member("bob", now)
    friends = [await get_or_create_member(f"f{i}", now) for i in range(10)]

    async def attempt(friend: Member) -> bool:
        try:
            await apply_referral_code(bob, friend.referral_code, now)
            return True
        except NotEligible:
            return False

    results = await asyncio.gather(*(attempt(f) for f in friends))
    assert results.count(True) == 1
    assert await Referral.filter(referee_id=bob.id).count() == 1


@pytest.mark.postgres
async def test_the_monthly_cap_holds_when_friends_complete_at_once() -> None:
    now = FrozenClock().now()
    await EarningRules.create(id=1, referrer_monthly_cap=3)
    ana = await get_or_create_member("ana", now)
    events = []
    for i in range(8):
        friend = await get_or_create_member(f"friend{i}", now)
        await apply_referral_code(friend, ana.referral_code, now)
        events.append(await purchase(friend, f"F-{i}", now))
    await asyncio.gather(*(complete_referral_on_first_purchase(e, now) for e in events))
    assert await PointsEntry.filter(member_id=ana.id).count() == 3
    assert await PointsEntry.filter(kind=EntryKind.REFERRAL).count() == 11
