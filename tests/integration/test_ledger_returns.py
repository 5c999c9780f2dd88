"""Giving a cancelled debit back: to the lots that paid, never counted as earned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FrozenClock
from domain.errors import InvalidInput
from domain.members.services import get_or_create_member
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry

pytestmark = pytest.mark.usefixtures("db")


async def test_a_returned_debit_refills_the_lots_it_took_from_and_is_not_earned() -> None:
    now = FrozenClock().now()
    member = await get_or_create_member("r1", now)
    old = await ledger.credit(
        member.id,
        100,
        EntryKind.EARN,
        "old",
        now - timedelta(days=9),
        expires_at=now + timedelta(days=5),
    )
    new = await ledger.credit(member.id, 100, EntryKind.EARN, "new", now)
    debit = await ledger.debit(member.id, 150, EntryKind.REDEEM, "drop", now)
    before = await ledger.summary(member.id, now)

    back = await ledger.return_debit(debit.id, "cancelled", now, reference="drop-claim:1")

    assert (back.kind, back.delta, back.remaining) == (EntryKind.REDEEM, 150, 0)
    await old.refresh_from_db()
    await new.refresh_from_db()
    assert (old.remaining, new.remaining) == (100, 100)
    after = await ledger.summary(member.id, now)
    assert (before.balance, after.balance) == (50, 200)
    assert after.lifetime_earned == before.lifetime_earned == 200
    assert [(e.points, e.expires_at) for e in after.expiring_soon] == [
        (100, now + timedelta(days=5))
    ]


async def test_only_a_debit_can_be_returned() -> None:
    now = FrozenClock().now()
    member = await get_or_create_member("r2", now)
    lot = await ledger.credit(member.id, 10, EntryKind.EARN, "earn", now)
    with pytest.raises(InvalidInput):
        await ledger.return_debit(lot.id, "nonsense", now)
    assert await PointsEntry.filter(member_id=member.id).count() == 1
