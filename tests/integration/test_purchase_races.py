"""Races on PostgreSQL: retries of one order or one refund arriving at the same time."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from domain.clock import FrozenClock
from domain.errors import InvalidInput
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from domain.program import ProgramCache
from domain.purchases.models import Purchase, Refund
from domain.purchases.services import (
    RecordedPurchase,
    RecordedRefund,
    record_purchase,
    record_refund,
)
from domain.purchases.validation import RefundInput
from tests.integration.points_factories import (
    CURRENCY,
    buy,
    purchase_input,
    set_rules,
    set_tiers,
)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("db")]


async def test_fifty_concurrent_retries_of_one_order_record_one_purchase_and_one_credit() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    results = await asyncio.gather(
        *(buy("A-1", now, customer_id="new", amount="600.00") for _ in range(50))
    )

    assert await Member.filter(customer_id="new").count() == 1
    assert await Purchase.all().count() == 1
    assert await PointsEntry.filter(kind=EntryKind.EARN).count() == 1
    assert await OutboxEvent.filter(kind="PurchaseRecorded").count() == 1
    assert await OutboxEvent.filter(kind="TierChanged").count() == 1
    assert sum(not r.replayed for r in results) == 1
    assert {r.purchase.id for r in results} == {results[0].purchase.id}
    assert {r.awards.points_awarded for r in results} == {600}
    assert {r.awards.new_tier_code for r in results} == {"SILVER"}
    member = await Member.get(customer_id="new")
    assert (await ledger.summary(member.id, now)).pending == 600


async def test_concurrent_orders_of_a_new_customer_create_one_member() -> None:
    now = FrozenClock().now()
    await asyncio.gather(
        *(buy(f"A-{i}", now, customer_id="new", amount="10.00") for i in range(20))
    )
    member = await Member.get(customer_id="new")
    assert await Purchase.filter(member_id=member.id).count() == 20
    assert (await ledger.summary(member.id, now)).pending == 200
    first = [e.payload["first_purchase"] for e in await OutboxEvent.filter(kind="PurchaseRecorded")]
    assert first.count(True) == 1


async def test_concurrent_retries_of_one_refund_reverse_once() -> None:
    now = FrozenClock().now()
    await buy("A-1", now, customer_id="m", amount="100.00")
    results: list[RecordedRefund] = await asyncio.gather(
        *(record_refund(RefundInput("R-1", "A-1", Decimal("40.00")), now) for _ in range(30))
    )
    assert await Refund.all().count() == 1
    assert await PointsEntry.filter(kind=EntryKind.REVERSAL).count() == 1
    assert (await Purchase.get(order_id="A-1")).refunded_amount == Decimal("40.00")
    assert {r.points_reversed for r in results} == {40}
    member = await Member.get(customer_id="m")
    assert (await ledger.summary(member.id, now)).pending == 60


async def test_concurrent_refunds_of_one_order_never_exceed_it() -> None:
    now = FrozenClock().now()
    await buy("A-1", now, customer_id="m", amount="100.00")

    async def attempt(i: int) -> bool:
        try:
            await record_refund(RefundInput(f"R-{i}", "A-1", Decimal("30.00")), now)
            return True
        except InvalidInput:
            return False

    outcomes = await asyncio.gather(*(attempt(i) for i in range(12)))
    assert outcomes.count(True) == 3
    assert (await Purchase.get(order_id="A-1")).refunded_amount == Decimal("90.00")
    member = await Member.get(customer_id="m")
    assert (await ledger.summary(member.id, now)).pending == 10


async def test_concurrent_orders_of_one_member_each_see_the_ones_before_them() -> None:
    """Twelve orders of one known member at once, through one process's program cache (the
    API's way: the member locked and their standing read in one call, after the lock). Each
    plans from what the orders committed before it: the one that reaches Silver's 500
    qualifying points lifts the tier, once, and every later one earns Silver's 1.25."""
    now = FrozenClock().now()
    await set_rules(now)
    await set_tiers(now)
    program = ProgramCache()

    async def order(order_id: str) -> RecordedPurchase:
        return await record_purchase(
            purchase_input(order_id, "regular", "100.00"), now,
            program_currency=CURRENCY, program=program,
        )  # fmt: skip

    await order("A-0")
    results = await asyncio.gather(*(order(f"A-{i}") for i in range(1, 13)))

    member = await Member.get(customer_id="regular")
    assert (member.tier_code, member.tier_level) == ("SILVER", 1)
    lifted = [r for r in results if r.awards.new_tier_code is not None]
    assert [r.awards.new_tier_code for r in lifted] == ["SILVER"]
    assert await OutboxEvent.filter(kind="TierChanged").count() == 1
    earned = sorted(r.purchase.points_earned for r in results)
    assert earned == [100] * 4 + [125] * 8  # with A-0's 100: Silver at the fifth
    first = [e.payload["first_purchase"] for e in await OutboxEvent.filter(kind="PurchaseRecorded")]
    assert first.count(True) == 1
