"""Expiry reminders read only the members whose batches changed since the last run, and remind
every batch a run over all of them would."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from domain.clock import FrozenClock
from domain.members.models import Member
from domain.points import ledger
from domain.points.expiry import remind_changes
from domain.points.models import EntryKind, PointsEntry, PointsExpiryReminder
from tests.integration.points_factories import buy, set_rules

pytestmark = pytest.mark.usefixtures("db")


async def due_batches(now: datetime, within_days: int = 7) -> set[tuple[int, datetime]]:
    """Every batch a run over all batches would find due at `now`."""
    rows = await PointsEntry.filter(
        remaining__gt=0,
        delta__gt=0,
        available_at__lte=now,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=within_days),
    ).values_list("member_id", "expires_at")
    return set(rows)


async def reminded() -> set[tuple[int, datetime]]:
    return set(await PointsExpiryReminder.all().values_list("member_id", "expires_at"))


async def test_a_run_looks_only_at_the_members_whose_batches_changed() -> None:
    clock = FrozenClock()
    await set_rules(clock.now(), pending_days=0, expiry_days=10)
    for i in range(30):
        await buy(f"A-{i}", clock.now(), customer_id=f"m{i}", amount="50.00")
    clock.advance(days=4)  # every batch expires in 6 days
    first = await remind_changes(clock.now())
    assert first.full and first.sent == 30

    clock.advance(hours=1)
    await buy("B-1", clock.now(), customer_id="m7", amount="10.00")  # expires in 10 days
    quiet = await remind_changes(clock.now())
    m7 = await Member.get(customer_id="m7")
    assert not quiet.full
    assert quiet.members == (m7.id,) and quiet.sent == 0

    clock.advance(days=3, hours=1)  # B-1 now expires within 7 days
    later = await remind_changes(clock.now())
    assert later.members == (m7.id,) and later.sent == 1


async def test_points_becoming_spendable_or_given_back_are_reminded_like_a_full_run_would() -> None:
    clock = FrozenClock()
    # Points become spendable 3 days after the purchase and expire 5 days after that:
    # already within the week's horizon the moment they become spendable.
    await set_rules(clock.now(), pending_days=3, expiry_days=5)
    await remind_changes(clock.now())  # the first run: everything (nothing yet)
    await buy("A-1", clock.now(), customer_id="ana", amount="40.00")
    await buy("A-2", clock.now(), customer_id="bea", amount="40.00")
    for _ in range(8):  # a run every 12 hours
        clock.advance(hours=12)
        await remind_changes(clock.now())
        assert await due_batches(clock.now()) <= await reminded()
    ana = await Member.get(customer_id="ana")
    assert {m for m, _ in await reminded()} == {ana.id, (await Member.get(customer_id="bea")).id}

    # Cid spends everything, so nothing is reminded, then gets the points back.
    await set_rules(clock.now(), pending_days=0, expiry_days=30)
    await buy("C-1", clock.now(), customer_id="cid", amount="20.00")
    cid = await Member.get(customer_id="cid")
    debit = await ledger.debit(cid.id, 20, EntryKind.REDEEM, "reward", clock.now())
    clock.advance(days=24)
    assert (await remind_changes(clock.now())).sent == 0  # nothing left to remind
    clock.advance(hours=12)
    async with in_transaction():
        await ledger.lock_member(cid.id)
        await ledger.return_debit(debit.id, "redemption cancelled", clock.now())
    clock.advance(hours=12)
    run = await remind_changes(clock.now())
    assert run.members == (cid.id,) and run.sent == 1
    assert await due_batches(clock.now()) <= await reminded()
