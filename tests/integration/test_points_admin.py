"""Earning rules and manual adjustments by admins; the points history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.audit import Actor
from domain.clock import FrozenClock
from domain.errors import InsufficientPoints, NotFound, ValidationErrors
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.history import points_history
from domain.points.models import EarningRules, EntryKind, PointsEntry
from domain.points.rules import earning_rules
from domain.points.services import adjust_points, configure_earning_rules
from tests.integration.points_factories import buy, rules_input, set_rules, set_tiers

pytestmark = pytest.mark.usefixtures("db")


async def test_earning_rules_are_stored_and_used_by_the_next_purchase() -> None:
    now = FrozenClock().now()
    await configure_earning_rules(
        rules_input(
            points_per_currency_unit=Decimal("2.5"),
            pending_days=0,
            expiry_days=90,
            category_multipliers=(("Shoes", Decimal(2)), ("gift-cards", Decimal(0))),
        ),
        now,
    )
    rules = await earning_rules()
    assert rules.points_per_currency_unit == Decimal("2.5")
    assert rules.category_multipliers == {"Shoes": "2", "gift-cards": "0"}
    assert (rules.pending_days, rules.expiry_days) == (0, 90)
    recorded = await buy("A-1", now, amount="10.00")
    assert recorded.purchase.points_earned == 25
    entry = await PointsEntry.get(reference="order:A-1")
    assert entry.available_at == now and entry.expires_at == now + timedelta(days=90)


async def test_configuring_the_same_rules_twice_keeps_one_row() -> None:
    now = FrozenClock().now()
    await set_rules(now)
    await set_rules(now)
    assert await EarningRules.all().count() == 1


async def test_invalid_earning_rules_name_each_field_and_change_nothing() -> None:
    now = FrozenClock().now()
    await set_rules(now, pending_days=5)
    with pytest.raises(ValidationErrors) as caught:
        await configure_earning_rules(
            rules_input(
                points_per_currency_unit=Decimal(0),
                pending_days=-1,
                expiry_days=0,
                tier_window_months=0,
                category_multipliers=(("shoes", Decimal(2)), ("SHOES", Decimal(-1))),
            ),
            now,
        )
    assert [e.field for e in caught.value.errors] == [
        ["input", "pointsPerCurrencyUnit"],
        ["input", "categoryMultipliers", "1", "category"],
        ["input", "categoryMultipliers", "1", "multiplier"],
        ["input", "pendingDays"],
        ["input", "expiryDays"],
        ["input", "tierWindowMonths"],
    ]
    assert (await earning_rules()).pending_days == 5


async def test_a_positive_adjustment_is_spendable_at_once_and_records_who_and_why() -> None:
    now = FrozenClock().now()
    member = await get_or_create_member("m", now)
    summary = await adjust_points(
        "m", 150, "  Goodwill for a late delivery ", Actor("admin@shop"), now
    )
    assert (summary.balance, summary.lifetime_earned) == (150, 150)
    entry = await PointsEntry.get(member_id=member.id)
    assert (entry.kind, entry.actor, entry.description) == (
        EntryKind.ADJUST,
        "admin@shop",
        "Adjustment: Goodwill for a late delivery",
    )
    [event] = await OutboxEvent.filter(kind="PointsAdjusted")
    assert event.payload == {
        "member_id": member.id,
        "entry_id": entry.id,
        "delta": 150,
        "reason": "Goodwill for a late delivery",
        "actor": "admin@shop",
    }


async def test_a_positive_adjustment_counts_towards_the_tier() -> None:
    now = FrozenClock().now()
    await set_tiers(now)
    await get_or_create_member("m", now)
    await adjust_points("m", 500, "Migration from the old program", Actor("admin@shop"), now)
    assert (await Member.get(customer_id="m")).tier_code == "SILVER"


async def test_a_negative_adjustment_takes_spendable_points() -> None:
    now = FrozenClock().now()
    await get_or_create_member("m", now)
    await adjust_points("m", 100, "Welcome", Actor("admin"), now)
    summary = await adjust_points("m", -40, "Duplicate welcome", Actor("admin"), now)
    assert summary.balance == 60


async def test_a_negative_adjustment_beyond_the_balance_is_refused_and_changes_nothing() -> None:
    now = FrozenClock().now()
    await get_or_create_member("m", now)
    await adjust_points("m", 100, "Welcome", Actor("admin"), now)
    with pytest.raises(InsufficientPoints) as caught:
        await adjust_points("m", -101, "Too much", Actor("admin"), now)
    assert (caught.value.code, caught.value.field) == ("INSUFFICIENT_POINTS", ["input", "delta"])
    member = await Member.get(customer_id="m")
    assert (await ledger.summary(member.id, now)).balance == 100
    assert await PointsEntry.filter(member_id=member.id).count() == 1
    assert await OutboxEvent.filter(kind="PointsAdjusted").count() == 1


async def test_an_adjustment_needs_a_reason_a_delta_and_a_known_member() -> None:
    now = FrozenClock().now()
    with pytest.raises(ValidationErrors) as caught:
        await adjust_points("m", 0, "  ", Actor("admin"), now)
    assert [e.field for e in caught.value.errors] == [["input", "delta"], ["input", "reason"]]
    with pytest.raises(NotFound) as missing:
        await adjust_points("nobody", 10, "Welcome", Actor("admin"), now)
    assert missing.value.field == ["input", "customerId"]
    assert await PointsEntry.all().count() == 0


async def test_the_history_pages_newest_first_and_is_stable_under_inserts() -> None:
    clock = FrozenClock()
    await set_rules(clock.now(), pending_days=0)
    for i in range(5):
        await buy(f"A-{i}", clock.now(), customer_id="m", amount=f"{i + 1}0.00")
        clock.advance(minutes=1)
    member = await Member.get(customer_id="m")
    first = await points_history(member.id, first=2)
    assert [e.reference for e in first.entries] == ["order:A-4", "order:A-3"]
    assert first.has_next_page
    await buy("A-new", clock.now(), customer_id="m")  # arrives between two pages
    second = await points_history(member.id, first=2, before_id=first.entries[-1].id)
    assert [e.reference for e in second.entries] == ["order:A-2", "order:A-1"]
    third = await points_history(member.id, first=2, before_id=second.entries[-1].id)
    assert [e.reference for e in third.entries] == ["order:A-0"]
    assert not third.has_next_page
    other = await get_or_create_member("other", clock.now())
    assert (await points_history(other.id, first=10)).entries == []
