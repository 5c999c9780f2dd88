"""The arithmetic of points earned by purchases and taken back by refunds."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from domain.points.earning import LineItem, category_weight, purchase_points, refund_points


def item(category: str | None, price: str, quantity: int = 1) -> LineItem:
    return LineItem(sku="sku", category=category, quantity=quantity, unit_price=Decimal(price))


def test_points_are_the_amount_times_the_rate_rounded_down() -> None:
    assert purchase_points(Decimal("10.99"), Decimal(1), Fraction(1), Decimal(1)) == 10
    assert purchase_points(Decimal("0.99"), Decimal(1), Fraction(1), Decimal(1)) == 0
    assert purchase_points(Decimal("100.00"), Decimal("2.5"), Fraction(1), Decimal(1)) == 250


def test_the_tier_multiplier_applies_before_rounding_once() -> None:
    # 10.99 x 1.5 x 1.25 = 20.60625: rounded once, not after each step (16 x 1.25 = 20).
    assert purchase_points(Decimal("10.99"), Decimal("1.5"), Fraction(1), Decimal("1.25")) == 20
    # 3.33 x 3 = 9.99 stays 9: no float drift up to 10.
    assert purchase_points(Decimal("3.33"), Decimal(3), Fraction(1), Decimal(1)) == 9


def test_exact_products_are_not_rounded_down_by_float_error() -> None:
    # 0.1 x 3 x 10 is exactly 3 (a float computation gives 2.9999999999999996).
    assert purchase_points(Decimal("0.10"), Decimal(3), Fraction(1), Decimal(10)) == 3


def test_category_multipliers_weigh_by_the_share_of_each_line() -> None:
    items = [item("shoes", "60.00"), item("socks", "20.00", quantity=2)]
    weight = category_weight(items, {"Shoes": Decimal(2)})
    # (60 x 2 + 40 x 1) / 100
    assert weight == Fraction(160, 100)
    assert purchase_points(Decimal("90.00"), Decimal(1), weight, Decimal(1)) == 144


def test_categories_match_case_insensitively_and_unknown_ones_weigh_one() -> None:
    assert category_weight([item(" SHOES ", "10")], {"shoes": Decimal(3)}) == 3
    assert category_weight([item("hats", "10")], {"shoes": Decimal(3)}) == 1
    assert category_weight([item(None, "10")], {"shoes": Decimal(3)}) == 1


def test_orders_without_items_or_with_free_items_weigh_one() -> None:
    assert category_weight([], {"shoes": Decimal(3)}) == 1
    assert category_weight([item("shoes", "0.00")], {"shoes": Decimal(3)}) == 1


def test_a_category_with_multiplier_zero_earns_nothing() -> None:
    weight = category_weight([item("gift-cards", "50.00")], {"gift-cards": Decimal(0)})
    assert purchase_points(Decimal("50.00"), Decimal(1), weight, Decimal(1)) == 0


def test_partial_refunds_take_back_the_share_rounded_down() -> None:
    assert refund_points(10, Decimal("100.00"), Decimal(0), Decimal("15.00")) == 1
    assert refund_points(10, Decimal("100.00"), Decimal("15.00"), Decimal("30.00")) == 2
    assert refund_points(0, Decimal("100.00"), Decimal(0), Decimal("100.00")) == 0


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@given(
    points=st.integers(min_value=0, max_value=100_000),
    cuts=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=8),
    amount=amounts,
)
def test_refunding_an_order_in_parts_takes_back_exactly_its_points(
    points: int, cuts: list[int], amount: Decimal
) -> None:
    total_cut = sum(cuts)
    refunded = Decimal(0)
    taken = 0
    shares = [(amount * c / total_cut).quantize(Decimal("0.01"), ROUND_DOWN) for c in cuts]
    shares[-1] = amount - sum(shares[:-1])
    for share in shares:
        step = refund_points(points, amount, refunded, refunded + share)
        assert step >= 0
        taken += step
        refunded += share
    assert refunded == amount
    assert taken == points


@given(amount=amounts, rate=st.decimals(min_value=Decimal("0.0001"), max_value=10, places=4))
def test_points_never_exceed_the_exact_product(amount: Decimal, rate: Decimal) -> None:
    points = purchase_points(amount, rate, Fraction(1), Decimal(1))
    assert points <= amount * rate < points + 1


def _reference_weight(items: list[LineItem], multipliers: dict[str, Decimal]) -> Fraction:
    """The definition, in Fractions: each line's multiplier weighted by its share."""
    keyed = {k.strip().casefold(): Fraction(v) for k, v in multipliers.items()}
    total = sum((Fraction(i.total) for i in items), Fraction(0))
    if total <= 0:
        return Fraction(1)
    return (
        sum(
            (
                Fraction(i.total)
                * (keyed.get(i.category.strip().casefold(), 1) if i.category else 1)
                for i in items
            ),
            Fraction(0),
        )
        / total
    )


money = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False)
factor = st.decimals(min_value=0, max_value=10, places=4, allow_nan=False)


@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from([None, "shoes", " Shoes", "hats", "bags"]), money, st.integers(1, 50)
        ),
        max_size=6,
    ),
    multipliers=st.dictionaries(st.sampled_from(["shoes", "HATS", "socks"]), factor, max_size=3),
    amount=money,
    per_unit=factor,
    tier=factor,
    channel=factor,
)
def test_the_integer_arithmetic_equals_the_fractions_definition(
    lines: list[tuple[str | None, Decimal, int]],
    multipliers: dict[str, Decimal],
    amount: Decimal,
    per_unit: Decimal,
    tier: Decimal,
    channel: Decimal,
) -> None:
    items = [LineItem("sku", c, q, p) for c, p, q in lines]
    weight = category_weight(items, multipliers)
    assert weight == _reference_weight(items, multipliers)
    exact = Fraction(amount) * Fraction(per_unit) * weight * Fraction(channel) * Fraction(tier)
    assert purchase_points(amount, per_unit, weight, tier, channel) == max(0, math.floor(exact))
