"""The cart preview is a dry run of recordPurchase: for any cart, previewing then recording
gives the same points, awards and tier, and the preview writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import Tortoise

from domain.achievements.models import Badge
from domain.clock import FrozenClock
from domain.errors import ValidationErrors
from domain.members.models import Member
from domain.points.earning import LineItem
from domain.program import ProgramCache
from domain.purchases.models import Channel
from domain.purchases.preview import PurchasePreview, preview_purchase
from domain.purchases.services import RecordedPurchase, record_purchase
from domain.purchases.validation import PurchaseInput
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from domain.sql import dialect
from gamification.achievements.engine import AchievementEngine
from gamification.rules import Recurrence, Rule
from tests.integration.achievements_setup import badge, challenge
from tests.integration.points_factories import CURRENCY, purchase_input, set_rules, set_tiers
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

START = FrozenClock().now()
_examples = count(1)


async def table_counts() -> dict[str, int]:
    """The number of rows of every table of the application."""
    return {
        model._meta.db_table: await model.all().count()
        for model in Tortoise.apps["fidelio"].values()
    }


async def set_catalogue(now: datetime) -> None:
    """Earning rules with category multipliers, three tiers, and badges and challenges of
    every kind a purchase can complete, one challenge rewarding a badge that also has a rule
    of its own (the awards' unique keys decide), one limited to a segment."""
    await set_rules(
        now,
        pending_days=7,
        expiry_days=365,
        category_multipliers=(("shoes", Decimal(2)), ("socks", Decimal("0.5"))),
    )
    await set_tiers(now)
    await upsert_segment("spain", "Spain", SegmentRule(countries=("ES",)), now)
    await badge("FIRST", Rule(event="PURCHASE", aggregate="COUNT", target=1), now, reward_points=10)
    await badge(
        "SHOES3",
        Rule(event="PURCHASE", aggregate="COUNT", target=3, window_days=30, category="shoes"),
        now,
        reward_points=300,
    )
    await badge(
        "BIG", Rule(event="PURCHASE", aggregate="SUM_AMOUNT", target=400), now, reward_points=50
    )
    await badge("VARIETY", Rule(event="PURCHASE", aggregate="DISTINCT_CATEGORIES", target=3), now)
    await badge(
        "TWO_DAYS",
        Rule(event="PURCHASE", aggregate="DISTINCT_DAYS", target=2),
        now,
        reward_points=20,
    )
    ends = now + timedelta(days=365)
    await challenge(
        "WEEKLY2",
        Rule(event="PURCHASE", aggregate="COUNT", target=2),
        now - timedelta(days=1),
        ends,
        now,
        recurrence=Recurrence.WEEKLY,
        reward_points=30,
        reward_badge_code="TWO_DAYS",
    )
    await challenge(
        "STORE",
        Rule(event="PURCHASE", aggregate="COUNT", target=1, channel="STORE"),
        now - timedelta(days=1),
        ends,
        now,
        reward_points=5,
    )
    await challenge(
        "SPAIN",
        Rule(event="PURCHASE", aggregate="SUM_AMOUNT", target=100),
        now - timedelta(days=1),
        ends,
        now,
        reward_points=700,
        segment_code="spain",
    )


@dataclass
class Shop:
    engine: AchievementEngine = field(default_factory=AchievementEngine)
    program: ProgramCache = field(default_factory=ProgramCache)

    async def preview(self, cart: PurchaseInput, now: datetime) -> PurchasePreview:
        return await preview_purchase(
            cart, now, program_currency=CURRENCY, observer=self.engine, program=self.program
        )

    async def record(self, cart: PurchaseInput, now: datetime) -> RecordedPurchase:
        return await record_purchase(
            cart, now, program_currency=CURRENCY, observer=self.engine, program=self.program
        )


def assert_same(preview: PurchasePreview, recorded: RecordedPurchase) -> None:
    """The preview announced what the recording did."""
    assert preview.replay is None and preview.plan is not None
    assert preview.plan.points == recorded.purchase.points_earned
    assert preview.awards == recorded.awards
    assert preview.points == recorded.points
    assert recorded.ladder is not None and preview.tier is not None
    assert preview.tier.code == recorded.member.tier_code or (
        recorded.member.tier_code is None and preview.tier.level == 0
    )


categories = st.sampled_from(["shoes", "socks", "hats", None])
items = st.lists(
    st.tuples(
        categories,
        st.integers(min_value=1, max_value=3),
        st.decimals(min_value=Decimal(0), max_value=Decimal(200), places=2),
    ),
    max_size=4,
)
carts = st.lists(
    st.tuples(
        st.sampled_from(["ana", "ben", "new"]),
        items,
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2),
        st.sampled_from(list(Channel)),
        st.integers(min_value=0, max_value=60),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=carts)
async def test_preview_then_record_gives_the_same_points_awards_and_tier_and_writes_nothing(
    sequence: list[tuple[str, list[tuple[str | None, int, Decimal]], Decimal, Channel, int, bool]],
) -> None:
    if not await Badge.all().exists():
        await set_catalogue(START)
    example = next(_examples)
    clock = FrozenClock(START)
    # Known members: one in Spain (the segment's challenge counts for her), one elsewhere.
    await Member.create(
        customer_id=f"ana-{example}", referral_code=f"A{example:07d}", joined_at=START, country="ES"
    )
    await Member.create(
        customer_id=f"ben-{example}", referral_code=f"B{example:07d}", joined_at=START
    )
    shop = Shop()
    for step, (who, lines, amount, channel, hours, retry) in enumerate(sequence):
        clock.advance(hours=hours)
        now = clock.now()
        customer = f"{who}-{example}" if who != "new" else f"new-{example}-{step}"
        cart_items = tuple(
            LineItem(f"sku-{i}", category, quantity, price)
            for i, (category, quantity, price) in enumerate(lines)
        )
        total = sum((item.total for item in cart_items), Decimal(0))
        cart = purchase_input(
            f"O-{example}-{step}",
            customer,
            str(total if total > 0 else amount),
            items=cart_items,
            channel=channel,
            store_code="MAD-01" if channel is Channel.STORE else None,
        )
        before = await table_counts()
        preview = await shop.preview(cart, now)
        assert await table_counts() == before
        assert preview.member_known == (who != "new")
        recorded = await shop.record(cart, now)
        assert_same(preview, recorded)
        if retry:
            # An order recorded already: the preview answers what recording it again does.
            again = await shop.preview(cart, now)
            assert again.replay is not None and again.awards == recorded.awards


async def test_a_preview_of_bad_input_raises_what_recording_raises() -> None:
    now = START
    cart = PurchaseInput(
        order_id=" ",
        customer_id="c-1",
        amount=Decimal("-1"),
        currency="USD",
        channel=Channel.APP,
        occurred_at=now + timedelta(days=1),
        items=(LineItem("", None, 0, Decimal("0.001")),),
    )
    shop = Shop()
    with pytest.raises(ValidationErrors) as previewed:
        await shop.preview(cart, now)
    with pytest.raises(ValidationErrors) as recorded:
        await shop.record(cart, now)
    assert [(e.code, e.field) for e in previewed.value.errors] == [
        (e.code, e.field) for e in recorded.value.errors
    ]
    assert len(previewed.value.errors) >= 6


async def test_the_preview_says_when_the_points_become_spendable() -> None:
    now = START
    await set_rules(now, pending_days=7, expiry_days=30)
    shop = Shop()
    fresh = await shop.preview(purchase_input("A-1", amount="50.00"), now)
    assert fresh.plan is not None and fresh.plan.pending_at(now)
    assert fresh.plan.available_at == now + timedelta(days=7)
    assert fresh.plan.expires_at == now + timedelta(days=37)
    assert fresh.points is not None and (fresh.points.pending, fresh.points.balance) == (50, 0)
    late = await shop.preview(
        purchase_input("A-2", amount="50.00", occurred_at=now - timedelta(days=8)), now
    )
    assert late.plan is not None and not late.plan.pending_at(now)
    assert late.points is not None and (late.points.pending, late.points.balance) == (0, 50)


async def test_a_preview_of_a_known_member_costs_two_statements() -> None:
    """The configuration versions and the member's position (tier, standing, history, the
    order's replay check) in one statement; no lock, no write. With a rule of purchases
    matching, one more for the progress, and two when the order completes something."""
    now = START
    await set_rules(now)
    await set_tiers(now)
    shop = Shop()
    await shop.record(purchase_input("A-1"), now)
    await shop.preview(purchase_input("A-2"), now)

    with counting_statements() as statements:
        preview = await shop.preview(purchase_input("A-2"), now)
    assert preview.member_known and preview.awards.points_awarded == 100
    assert len(statements) == 2, "\n".join(statements.sql)

    # A badge made after A-1: its progress starts with this order.
    await badge("ONE", Rule(event="PURCHASE", aggregate="COUNT", target=1), now, reward_points=5)
    await shop.preview(purchase_input("A-2"), now)
    with counting_statements() as statements:
        preview = await shop.preview(purchase_input("A-2"), now)
    assert preview.awards.points_awarded == 105 and len(preview.awards.badge_ids) == 1
    assert len(statements) == 4, "\n".join(statements.sql)
    assert not any(
        sql.lstrip("\"'").upper().startswith(("INSERT", "UPDATE", "DELETE"))
        or "FOR UPDATE" in sql.upper()
        for sql in statements.sql
    ), statements.sql
    assert dialect() in {"postgres", "sqlite"}
