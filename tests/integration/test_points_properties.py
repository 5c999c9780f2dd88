"""Properties of the ledger over random sequences of purchases, retries, refunds, redemptions,
expiries and clock moves, checked after every step against the raw ledger rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.transactions import in_transaction

from domain.clock import FrozenClock
from domain.errors import Duplicate, InsufficientPoints
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.balances import summaries
from domain.points.expiry import expire_points
from domain.points.models import (
    EarningRules,
    EntryKind,
    PointsAllocation,
    PointsEntry,
    PointsExpiryReminder,
)
from domain.purchases.models import Purchase, Refund
from domain.purchases.services import record_refund
from domain.purchases.validation import RefundInput
from domain.tiers.models import Tier
from domain.tiers.qualification import qualifying_points, standing
from tests.integration.points_factories import buy, set_rules, set_tiers

CUSTOMERS = ("ana", "ben", "cris")
#: A short tier window, so that clock moves take entries out of it.
WINDOW_MONTHS = 1

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("buy"),
            st.sampled_from(CUSTOMERS),
            st.decimals(min_value=Decimal("0.50"), max_value=Decimal(900), places=2),
        ),
        st.tuples(st.just("retry"), st.integers(min_value=0, max_value=40)),
        st.tuples(
            st.just("refund"),
            st.integers(min_value=0, max_value=40),
            st.integers(min_value=1, max_value=100),
        ),
        st.tuples(
            st.just("redeem"), st.sampled_from(CUSTOMERS), st.integers(min_value=1, max_value=600)
        ),
        st.tuples(st.just("expire")),
        st.tuples(st.just("advance"), st.integers(min_value=1, max_value=45)),
    ),
    max_size=30,
)


@dataclass
class World:
    clock: FrozenClock = field(default_factory=FrozenClock)
    orders: list[str] = field(default_factory=list)
    lifetime: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    refunds: int = 0


async def reset() -> None:
    for model in (
        PointsAllocation,
        PointsExpiryReminder,
        Refund,
        Purchase,
        PointsEntry,
        OutboxEvent,
        Member,
        EarningRules,
        Tier,
    ):
        await model.all().delete()


async def check_ledger(world: World, reversed_by_step: dict[int, int]) -> None:
    """Every invariant, computed from the raw rows, for every member."""
    now = world.clock.now()
    entries = await PointsEntry.all()
    allocations = await PointsAllocation.all()
    consumed: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        consumed[allocation.credit_id] += allocation.points
    by_member: dict[int, list[PointsEntry]] = defaultdict(list)
    for entry in entries:
        by_member[entry.member_id].append(entry)
    for entry in entries:
        if entry.delta > 0:
            # Each lot: remaining == delta - what debits took from it, never below zero.
            assert entry.remaining == entry.delta - consumed[entry.id]
            assert 0 <= entry.remaining <= entry.delta
        else:
            assert entry.remaining == 0 and entry.shortfall >= 0
    members = await Member.all()
    batch = await summaries([m.id for m in members], now)
    for member in members:
        rows = by_member[member.id]
        summary = await ledger.summary(member.id, now)
        assert batch[member.id] == summary
        # What a purchase reads in one statement agrees with the separate reads.
        read_together = await standing(member.id, now, WINDOW_MONTHS)
        assert (read_together.figures.balance, read_together.figures.pending) == (
            summary.balance,
            summary.pending,
        )
        assert read_together.figures.lifetime_earned == summary.lifetime_earned
        assert (
            read_together.qualifying_points
            == (await qualifying_points([member.id], now, WINDOW_MONTHS))[member.id]
        )
        spendable = sum(
            e.remaining
            for e in rows
            if e.delta > 0
            and e.available_at <= now
            and (e.expires_at is None or e.expires_at > now)
        )
        assert summary.balance == spendable >= 0
        assert summary.pending >= 0
        # Credits minus debits is what the lots still hold (spendable, pending or due).
        assert sum(e.delta for e in rows) == sum(e.remaining for e in rows if e.delta > 0)
        # Lifetime earned only goes down by what a refund reversed.
        previous = world.lifetime[member.id]
        taken_back = reversed_by_step.get(member.id, 0)
        if taken_back:
            assert summary.lifetime_earned == previous - taken_back
        else:
            assert summary.lifetime_earned >= previous
        assert summary.lifetime_earned >= 0
        world.lifetime[member.id] = summary.lifetime_earned
    # No order earns twice, however often it was retried.
    earn_references = [e.reference for e in entries if e.kind == EntryKind.EARN]
    assert len(earn_references) == len(set(earn_references))
    assert await Purchase.all().count() == len(world.orders)
    for purchase in await Purchase.all():
        assert Decimal(0) <= purchase.refunded_amount <= purchase.amount


async def play(world: World, step: tuple[object, ...]) -> dict[int, int]:
    """Run one step; returns the points reversed per member by it."""
    now = world.clock.now()
    match step:
        case ("buy", customer, amount):
            order_id = f"O-{len(world.orders)}"
            await buy(order_id, now, customer_id=str(customer), amount=str(amount))
            world.orders.append(order_id)
        case ("retry", index):
            if world.orders:
                order_id = world.orders[int(index) % len(world.orders)]
                first = await Purchase.get(order_id=order_id)
                customer = (await Member.get(id=first.member_id)).customer_id
                # The same order sent again replays the first; another under its id does not.
                again = await buy(
                    order_id, now, customer_id=str(customer), amount=str(first.amount)
                )
                assert again.replayed and again.purchase.id == first.id
                with pytest.raises(Duplicate):
                    await buy(
                        order_id, now, customer_id=str(customer), amount=str(first.amount + 1)
                    )
        case ("refund", index, percent):
            if world.orders:
                purchase = await Purchase.get(order_id=world.orders[int(index) % len(world.orders)])
                left = Decimal(purchase.amount) - Decimal(purchase.refunded_amount)
                amount = (left * int(percent) / 100).quantize(Decimal("0.01"), ROUND_DOWN)
                if amount > 0:
                    world.refunds += 1
                    refunded = await record_refund(
                        RefundInput(f"R-{world.refunds}", purchase.order_id, amount), now
                    )
                    return {purchase.member_id: refunded.points_reversed}
        case ("redeem", customer, points):
            member = await Member.get_or_none(customer_id=str(customer))
            if member is not None:
                before = await ledger.summary(member.id, now)
                try:
                    async with in_transaction():
                        await ledger.lock_member(member.id)
                        await ledger.debit(member.id, int(points), EntryKind.REDEEM, "r", now)
                except InsufficientPoints:
                    assert int(points) > before.balance
                    assert await ledger.summary(member.id, now) == before
                else:
                    assert int(points) <= before.balance
        case ("expire",):
            await expire_points(now)
            assert await expire_points(now) == 0
        case ("advance", days):
            world.clock.advance(days=int(days))
    return {}


@pytest.mark.usefixtures("db")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
async def test_the_ledger_stays_consistent_over_any_sequence_of_operations(
    sequence: list[tuple[object, ...]],
) -> None:
    await reset()
    world = World()
    start: datetime = world.clock.now()
    await set_rules(start, pending_days=7, expiry_days=30)
    await set_tiers(start)
    for step in sequence:
        reversed_by_step = await play(world, step)
        await check_ledger(world, reversed_by_step)
