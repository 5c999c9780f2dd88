"""The ledger primitives on a real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from domain.clock import FrozenClock
from domain.errors import InsufficientPoints
from domain.members.services import get_or_create_member
from domain.points import ledger
from domain.points.models import EntryKind, PointsAllocation, PointsEntry

pytestmark = pytest.mark.usefixtures("db")


async def test_debits_consume_the_oldest_spendable_credits_first() -> None:
    clock = FrozenClock()
    now = clock.now()
    member = await get_or_create_member("c1", now)
    old = await ledger.credit(member.id, 100, EntryKind.EARN, "old", now - timedelta(days=10))
    new = await ledger.credit(member.id, 50, EntryKind.EARN, "new", now)
    pending = await ledger.credit(
        member.id, 70, EntryKind.EARN, "pending", now, available_at=now + timedelta(days=14)
    )
    debit = await ledger.debit(member.id, 120, EntryKind.REDEEM, "reward", now)

    await old.refresh_from_db()
    await new.refresh_from_db()
    await pending.refresh_from_db()
    assert (old.remaining, new.remaining, pending.remaining) == (0, 30, 70)
    assert debit.delta == -120
    assert sorted(
        (a.credit_id, a.points) for a in await PointsAllocation.filter(debit_id=debit.id)
    ) == [(old.id, 100), (new.id, 20)]
    summary = await ledger.summary(member.id, now)
    assert (summary.balance, summary.pending, summary.lifetime_earned) == (30, 70, 220)


async def test_a_debit_beyond_the_balance_fails_and_changes_nothing() -> None:
    now = FrozenClock().now()
    member = await get_or_create_member("c2", now)
    await ledger.credit(member.id, 10, EntryKind.EARN, "earn", now)
    with pytest.raises(InsufficientPoints):
        async with in_transaction():
            await ledger.debit(member.id, 11, EntryKind.REDEEM, "too much", now)
    assert await PointsEntry.filter(member_id=member.id).count() == 1
    assert (await ledger.summary(member.id, now)).balance == 10


async def test_expired_credits_are_not_spendable_and_show_as_expiring_before() -> None:
    clock = FrozenClock()
    now = clock.now()
    member = await get_or_create_member("c3", now)
    await ledger.credit(member.id, 40, EntryKind.EARN, "e", now, expires_at=now + timedelta(days=5))
    soon = await ledger.summary(member.id, now)
    assert soon.balance == 40
    assert [(e.points, e.expires_at) for e in soon.expiring_soon] == [(40, now + timedelta(days=5))]
    later = await ledger.summary(member.id, now + timedelta(days=6))
    assert (later.balance, later.expiring_soon) == (0, ())


async def test_concurrent_debits_never_take_the_balance_below_zero() -> None:
    now = FrozenClock().now()
    member = await get_or_create_member("c4", now)
    await ledger.credit(member.id, 300, EntryKind.EARN, "earn", now)

    async def spend() -> bool:
        try:
            async with in_transaction():
                await ledger.lock_member(member.id)
                await ledger.debit(member.id, 100, EntryKind.REDEEM, "spend", now)
            return True
        except InsufficientPoints:
            return False

    results = await asyncio.gather(*(spend() for _ in range(20)))
    assert results.count(True) == 3
    assert (await ledger.summary(member.id, now)).balance == 0
