"""The expiry job and the reminders before points expire."""

from __future__ import annotations

import pytest

from domain.clock import FrozenClock
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.expiry import expire_points, remind_expiring_points
from domain.points.models import EntryKind, PointsAllocation, PointsEntry
from tests.integration.points_factories import buy, set_rules

pytestmark = pytest.mark.usefixtures("db")


async def test_due_credits_expire_as_one_entry_per_member_and_only_once() -> None:
    clock = FrozenClock()
    await set_rules(clock.now(), pending_days=0, expiry_days=30)
    await buy("A-1", clock.now(), customer_id="m", amount="100.00")
    clock.advance(days=10)
    await buy("A-2", clock.now(), customer_id="m", amount="50.00")
    member = await Member.get(customer_id="m")
    await ledger.debit(member.id, 30, EntryKind.REDEEM, "reward", clock.now())

    clock.advance(days=20)  # A-1 is due, A-2 is not
    assert await expire_points(clock.now()) == 1
    assert await expire_points(clock.now()) == 0
    [expired] = await PointsEntry.filter(kind=EntryKind.EXPIRE)
    assert expired.delta == -70
    a1 = await PointsEntry.get(reference="order:A-1")
    assert a1.remaining == 0
    assert sum(a.points for a in await PointsAllocation.filter(credit_id=a1.id)) == 100
    [event] = await OutboxEvent.filter(kind="PointsExpired")
    assert event.payload == {"member_id": member.id, "entry_id": expired.id, "points": 70}
    summary = await ledger.summary(member.id, clock.now())
    assert (summary.balance, summary.lifetime_earned) == (50, 150)


async def test_nothing_expires_when_the_rules_set_no_expiry() -> None:
    clock = FrozenClock()
    await buy("A-1", clock.now(), customer_id="m")
    clock.advance(days=3000)
    assert await expire_points(clock.now()) == 0


async def test_members_are_reminded_once_per_expiry_batch() -> None:
    clock = FrozenClock()
    await set_rules(clock.now(), pending_days=0, expiry_days=30)
    await buy("A-1", clock.now(), customer_id="m", amount="100.00")
    await buy("A-2", clock.now(), customer_id="m", amount="20.00")
    await buy("A-3", clock.now(), customer_id="n", amount="10.00")
    clock.advance(days=1)
    await buy("A-4", clock.now(), customer_id="m", amount="5.00")

    clock.advance(days=22)  # the first batch expires in 7 days, A-4 in 8
    assert await remind_expiring_points(clock.now(), within_days=7) == 2
    assert await remind_expiring_points(clock.now(), within_days=7) == 0
    reminders = sorted(
        (e.payload["points"], e.payload["member_id"])
        for e in await OutboxEvent.filter(kind="PointsExpiringSoon")
    )
    m = await Member.get(customer_id="m")
    n = await Member.get(customer_id="n")
    assert reminders == sorted([(120, m.id), (10, n.id)])
    clock.advance(days=1)
    assert await remind_expiring_points(clock.now(), within_days=7) == 1
    assert await OutboxEvent.filter(kind="PointsExpiringSoon").count() == 3


async def test_points_already_spent_are_not_reminded() -> None:
    clock = FrozenClock()
    await set_rules(clock.now(), pending_days=0, expiry_days=10)
    recorded = await buy("A-1", clock.now(), customer_id="m", amount="10.00")
    await ledger.debit(recorded.member.id, 10, EntryKind.REDEEM, "reward", clock.now())
    clock.advance(days=5)
    assert await remind_expiring_points(clock.now()) == 0
