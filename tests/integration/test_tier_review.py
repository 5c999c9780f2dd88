"""The daily tier review reads only the members whose qualifying points moved, and places them
exactly as a review of every member would."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.audit import Actor
from domain.clock import FrozenClock
from domain.members.models import Member
from domain.points.services import adjust_points
from domain.purchases.services import record_refund
from domain.purchases.validation import RefundInput
from domain.tiers.ladder import qualified_rung
from domain.tiers.qualification import qualifying_points, window_start
from domain.tiers.review import review_changed_tiers, review_changes
from domain.tiers.services import configure_tiers, tier_held, tier_ladder
from tests.integration.points_factories import STANDARD_TIERS, buy, set_rules, set_tiers
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")


async def placed() -> dict[int, str]:
    """Every current member's tier as stored (members never placed hold the base tier)."""
    ladder = await tier_ladder()
    return {
        m.id: tier_held(m, ladder).code
        for m in await Member.filter(erased_at__isnull=True).order_by("id")
    }


async def recomputed(now: datetime, months: int) -> dict[int, str]:
    """Every current member's tier recomputed from the ledger, as a full review places them."""
    ladder = await tier_ladder()
    ids = list(
        await Member.filter(erased_at__isnull=True).order_by("id").values_list("id", flat=True)
    )
    points = await qualifying_points(ids, now, months)
    return {i: qualified_rung(ladder, points[i]).code for i in ids}


async def test_reviews_from_changes_place_every_member_as_a_full_recomputation_would() -> None:
    rng = random.Random(2026)
    clock = FrozenClock()
    await set_rules(clock.now(), tier_window_months=3)
    await set_tiers(clock.now())
    orders: list[tuple[str, str]] = []
    for day in range(0, 240, 6):
        for _ in range(rng.randrange(1, 5)):
            customer = f"m{rng.randrange(25)}"
            order = f"O-{len(orders)}"
            await buy(
                order, clock.now(), customer_id=customer, amount=f"{rng.randrange(50, 900)}.00"
            )
            orders.append((order, customer))
        if orders and rng.random() < 0.4:
            order, customer = rng.choice(orders)
            await record_refund(
                RefundInput(f"R-{day}", order, Decimal(rng.randrange(10, 60))), clock.now()
            )
        adjusted = f"m{rng.randrange(25)}"
        if rng.random() < 0.3 and adjusted in {c for _, c in orders}:
            await adjust_points(adjusted, -rng.randrange(50, 300), "fix", Actor("ops"), clock.now())
        clock.advance(days=6)
        if day % 18 == 0:
            review = await review_changes(clock.now())
            assert await placed() == await recomputed(clock.now(), 3), day
            assert review.full is (day == 0)

    assert len(orders) > 50


async def test_a_review_reads_only_the_members_whose_points_moved() -> None:
    clock = FrozenClock()
    start = clock.now()
    await set_rules(start, tier_window_months=6)
    await set_tiers(start)
    for i in range(20):  # one purchase each, a day apart
        await buy(f"A-{i}", start + timedelta(days=i), customer_id=f"m{i}", amount="600.00")
    first = await review_changes(start + timedelta(days=20))
    assert first.full and len(first.examined) == 20

    # A day later: m3 buys again, m5 gets a refund. Nothing has left the window yet.
    day_21 = start + timedelta(days=21)
    await buy("B-3", day_21, customer_id="m3", amount="50.00")
    await record_refund(RefundInput("R-5", "A-5", Decimal("200.00")), day_21)
    m3, m5 = [await Member.get(customer_id=c) for c in ("m3", "m5")]
    with counting_statements() as statements:
        second = await review_changes(day_21)
    assert not second.full
    assert sorted(second.examined) == sorted([m3.id, m5.id])
    assert second.changed == 1  # m5 fell to 400 points: BRONZE
    assert not [s for s in statements.sql if "FROM member WHERE erased_at IS NULL AND id" in s]

    # 2026-07-22: the window starts on 2026-01-22, day 7. m0..m7's purchases have left it
    # since the last review, the others' not yet; m3 and m5 changed within the late margin.
    later = datetime(2026, 7, 22, 12, tzinfo=UTC)
    assert window_start(later, 6) == start + timedelta(days=7)
    third = await review_changes(later)
    left = {(await Member.get(customer_id=f"m{i}")).id for i in range(8)}
    assert not third.full
    assert set(third.examined) == left | {m3.id, m5.id}
    assert await placed() == await recomputed(later, 6)


async def test_a_new_ladder_is_a_change_for_every_member_reviewed_once() -> None:
    clock = FrozenClock()
    now = clock.now()
    await set_tiers(now)
    for i in range(6):
        await buy(f"A-{i}", now, customer_id=f"m{i}", amount="300.00")
    assert (await review_changes(now)).full

    lowered = (
        STANDARD_TIERS[0],
        replace(STANDARD_TIERS[1], qualifying_points=300),
        STANDARD_TIERS[2],
    )
    await configure_tiers(list(lowered), now)
    after_change = await review_changes(now + timedelta(hours=1))
    next_day = await review_changes(now + timedelta(days=1))

    assert after_change.full and after_change.changed == 6
    assert not next_day.full and next_day.examined == ()
    assert set((await placed()).values()) == {"SILVER"}


async def test_a_second_review_at_the_same_moment_changes_nothing() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    await buy("A-1", now, customer_id="m", amount="600.00")
    await record_refund(RefundInput("R-1", "A-1", Decimal("200.00")), now)

    assert await review_changed_tiers(now) == 1
    assert await review_changed_tiers(now) == 0
    assert (await Member.get(customer_id="m")).tier_code == "BRONZE"
