"""Tiers: configuration, upgrades at once, the daily review, progress to the next tier."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from domain.clock import FrozenClock
from domain.errors import ValidationErrors
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.crediting import credit_bonus
from domain.points.models import EntryKind
from domain.program import ProgramCache
from domain.purchases.services import record_refund
from domain.purchases.validation import RefundInput
from domain.tiers.ladder import TierSpec
from domain.tiers.models import Tier
from domain.tiers.services import (
    configure_tiers,
    next_tier_progress,
    place_member,
    review_tiers,
    tier_held,
    tier_ladder,
)
from tests.integration.points_factories import STANDARD_TIERS, buy, set_rules, set_tiers
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")


async def tier_changes() -> list[tuple[str | None, str, int, int]]:
    return [
        (
            e.payload["old_code"],
            e.payload["new_code"],
            e.payload["old_level"],
            e.payload["new_level"],
        )
        for e in await OutboxEvent.filter(kind="TierChanged").order_by("id")
    ]


async def test_configuring_tiers_stores_the_ladder_and_is_idempotent() -> None:
    clock = FrozenClock()
    tiers = await configure_tiers(list(STANDARD_TIERS), clock.now())
    assert [(t.code, t.level, t.qualifying_points) for t in tiers] == [
        ("BRONZE", 0, 0),
        ("SILVER", 1, 500),
        ("GOLD", 2, 2000),
    ]
    stamps = {t.code: t.updated_at for t in await Tier.all()}
    clock.advance(hours=1)
    await configure_tiers(list(STANDARD_TIERS), clock.now())
    assert {t.code: t.updated_at for t in await Tier.all()} == stamps
    assert await Tier.all().count() == 3


async def test_an_invalid_ladder_changes_nothing() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    broken = [*STANDARD_TIERS[:2], replace(STANDARD_TIERS[2], qualifying_points=100)]
    with pytest.raises(ValidationErrors) as caught:
        await configure_tiers(broken, now)
    assert [e.field for e in caught.value.errors] == [["input", "2", "qualifyingPoints"]]
    assert [t.qualifying_points for t in await Tier.all().order_by("level")] == [0, 500, 2000]


async def test_tiers_can_swap_levels_and_members_follow_their_tier_code() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    member = await get_or_create_member("m", now)
    await Member.filter(id=member.id).update(tier_code="GOLD", tier_level=2)
    swapped = (
        STANDARD_TIERS[0],
        TierSpec("GOLD", "Gold", 1, 500, Decimal("1.5")),
        TierSpec("SILVER", "Silver", 2, 2000, Decimal("1.25")),
    )
    await configure_tiers(list(swapped), now)
    assert [(t.code, t.level) for t in await tier_ladder()] == [
        ("BRONZE", 0),
        ("GOLD", 1),
        ("SILVER", 2),
    ]
    assert (await Member.get(id=member.id)).tier_level == 1
    assert await tier_changes() == []


async def test_members_of_a_removed_tier_are_placed_again_on_their_points() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    await buy("A-1", now, customer_id="m", amount="2500.00")  # GOLD at once
    assert (await Member.get(customer_id="m")).tier_code == "GOLD"
    await configure_tiers(list(STANDARD_TIERS[:2]), now)
    member = await Member.get(customer_id="m")
    assert (member.tier_code, member.tier_level) == ("SILVER", 1)
    assert (await tier_changes())[-1] == ("GOLD", "SILVER", 2, 1)


async def test_without_configured_tiers_every_member_holds_the_default_base_tier() -> None:
    now = FrozenClock().now()
    member = await get_or_create_member("m", now)
    ladder = await tier_ladder()
    assert [(t.code, t.level, t.points_multiplier) for t in ladder] == [("MEMBER", 0, Decimal(1))]
    assert tier_held(member, ladder).code == "MEMBER"
    assert (await next_tier_progress([member], now))[member.id] is None


async def test_a_purchase_that_reaches_a_tier_upgrades_the_member_at_once() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    first = await buy("A-1", now, customer_id="m", amount="499.00")
    assert first.awards.new_tier_code is None
    assert (first.member.tier_code, first.member.tier_level) == ("BRONZE", 0)
    second = await buy("A-2", now, customer_id="m", amount="1.00")
    assert second.awards.new_tier_code == "SILVER"
    assert (second.member.tier_code, second.member.tier_level) == ("SILVER", 1)
    assert await tier_changes() == [("BRONZE", "SILVER", 0, 1)]
    # Pending points count: qualification is on points earned, not on the balance.
    assert (await ledger.summary(second.member.id, now)).balance == 0


async def test_a_big_purchase_can_jump_several_tiers_and_the_next_purchase_earns_more() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    jump = await buy("A-1", now, customer_id="m", amount="2000.00")
    assert jump.awards.new_tier_code == "GOLD"
    assert await tier_changes() == [(None, "GOLD", 0, 2)]
    # Points of a purchase use the tier held before it: 2000 x 1, then 100 x 1.5.
    assert jump.purchase.points_earned == 2000
    assert (await buy("A-2", now, customer_id="m", amount="100.00")).purchase.points_earned == 150


async def test_spending_points_never_costs_the_tier() -> None:
    clock = FrozenClock()
    await set_rules(clock.now(), pending_days=0)
    await set_tiers(clock.now())
    recorded = await buy("A-1", clock.now(), customer_id="m", amount="600.00")
    await ledger.debit(recorded.member.id, 600, EntryKind.REDEEM, "reward", clock.now())
    assert await review_tiers(clock.now() + timedelta(days=1)) == 0
    assert (await Member.get(id=recorded.member.id)).tier_code == "SILVER"


async def test_a_refund_downgrades_only_in_the_daily_review() -> None:
    clock = FrozenClock()
    await set_tiers(clock.now())
    recorded = await buy("A-1", clock.now(), customer_id="m", amount="600.00")
    await record_refund(RefundInput("R-1", "A-1", Decimal("200.00")), clock.now())
    assert (await Member.get(id=recorded.member.id)).tier_code == "SILVER"
    assert await review_tiers(clock.now()) == 1
    member = await Member.get(id=recorded.member.id)
    assert (member.tier_code, member.tier_level) == ("BRONZE", 0)
    assert (await tier_changes())[-1] == ("SILVER", "BRONZE", 1, 0)
    assert await review_tiers(clock.now()) == 0


async def test_the_tier_lapses_when_the_points_leave_the_rolling_window() -> None:
    clock = FrozenClock()
    await set_rules(clock.now(), tier_window_months=6)
    await set_tiers(clock.now())
    await buy("A-1", clock.now(), customer_id="m", amount="2000.00")
    clock.advance(days=120)
    await buy("A-2", clock.now(), customer_id="m", amount="400.00")  # 600 points at GOLD
    clock.advance(days=100)  # A-1 left the window, A-2's 600 still in it
    assert await review_tiers(clock.now()) == 1
    assert (await Member.get(customer_id="m")).tier_code == "SILVER"
    clock.advance(days=90)
    assert await review_tiers(clock.now()) == 1
    assert (await Member.get(customer_id="m")).tier_code == "BRONZE"


async def test_the_review_upgrades_members_that_lower_thresholds_now_qualify() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    await buy("A-1", now, customer_id="m", amount="300.00")
    lowered = (
        STANDARD_TIERS[0],
        replace(STANDARD_TIERS[1], qualifying_points=300),
        STANDARD_TIERS[2],
    )
    await configure_tiers(list(lowered), now)
    assert await review_tiers(now) == 1
    assert (await Member.get(customer_id="m")).tier_code == "SILVER"


async def test_next_tier_says_how_many_qualifying_points_are_missing() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    bronze = (await buy("A-1", now, customer_id="b", amount="120.00")).member
    silver = (await buy("A-2", now, customer_id="s", amount="700.00")).member
    gold = (await buy("A-3", now, customer_id="g", amount="3000.00")).member
    progress = await next_tier_progress([bronze, silver, gold], now)
    assert progress[bronze.id] is not None and progress[silver.id] is not None
    assert (progress[bronze.id].tier.code, progress[bronze.id].qualifying_points_needed) == (
        "SILVER",
        380,
    )
    assert (progress[silver.id].tier.code, progress[silver.id].qualifying_points_needed) == (
        "GOLD",
        1300,
    )
    assert progress[gold.id] is None


async def test_a_credit_that_moves_no_tier_reads_its_points_once_and_writes_no_member_row() -> None:
    clock = FrozenClock()
    now = clock.now()
    await set_tiers(now)
    await buy("A-1", now, customer_id="m", amount="10.00")  # placed on BRONZE
    program = await ProgramCache().current()
    member = await Member.get(customer_id="m")

    async with in_transaction():
        locked = await ledger.lock_member(member.id)
        with counting_statements() as quiet:
            small = await credit_bonus(member.id, 5, "Bonus", "b:1", now, program, holder=locked)
        with counting_statements() as unheld:
            await credit_bonus(member.id, 5, "Bonus", "b:2", now, program)
        with counting_statements() as upgrade:
            big = await credit_bonus(member.id, 600, "Bonus", "b:3", now, program, holder=locked)

    assert small is not None and small.new_tier is None
    # The entry, its event and the member's qualifying points: no ladder, no member row.
    assert len(quiet) == 3, quiet.sql
    touched = [s for s in quiet.sql + unheld.sql if 'UPDATE "member"' in s or '"tier"' in s]
    assert touched == []
    assert len(unheld) == 3, unheld.sql  # the tier and the points read together instead
    assert big is not None and big.new_tier is not None and big.new_tier.code == "SILVER"
    assert len(upgrade) == 5, upgrade.sql  # + the member moved and TierChanged
    assert (locked.tier_code, locked.tier_level) == ("SILVER", 1)
    assert await tier_changes() == [("BRONZE", "SILVER", 0, 1)]


async def test_a_credit_to_a_member_on_the_top_rung_reads_nothing_for_the_tier() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    await buy("A-1", now, customer_id="m", amount="2500.00")  # GOLD, the top
    program = await ProgramCache().current()
    member = await Member.get(customer_id="m")

    async with in_transaction():
        locked = await ledger.lock_member(member.id)
        with counting_statements() as statements:
            await credit_bonus(member.id, 5, "Bonus", "b:1", now, program, holder=locked)

    assert len(statements) == 2, statements.sql  # the entry and its event


async def test_a_placed_member_in_memory_matches_the_stored_row() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    ladder = await tier_ladder()
    member = await get_or_create_member("placed", now)
    later = now + timedelta(hours=2)
    await place_member(member, ladder[1], later)
    stored = await Member.get(id=member.id)
    assert (member.tier_code, member.tier_level, member.inputs_changed_at) == (
        stored.tier_code,
        stored.tier_level,
        stored.inputs_changed_at,
    )
    assert member.inputs_changed_at == later
