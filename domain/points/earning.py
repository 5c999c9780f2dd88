"""How many points a purchase earns and how many a refund takes back: plain arithmetic.

Everything is computed exactly (fractions of the decimal amounts, never floats) and rounded
once, at the end, towards zero, so a member never gets a point they did not fully earn and
two systems computing the same purchase always agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class LineItem:
    """One line of an order as the shop sends it."""

    sku: str
    category: str | None
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


def category_key(category: str) -> str:
    """Categories match their multipliers case-insensitively, ignoring surrounding spaces."""
    return category.strip().casefold()


def _ratio(value: Decimal | Fraction | int) -> tuple[int, int]:
    """`value` as an exact integer ratio (numerator, positive denominator)."""
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, int):
        return value, 1
    return value.as_integer_ratio()


def category_weight(
    items: Sequence[LineItem], category_multipliers: Mapping[str, Decimal]
) -> Fraction:
    """The category multiplier of the whole order: each line's multiplier (1 for a category
    without one, or no category) weighted by the line's share of the items' total. An order
    without items, or whose items are all free, weighs 1."""
    # Exact, in integers over one common denominator (Fraction's own arithmetic normalises
    # at every step, which costs a purchase more than the rest of its plan).
    multipliers = {category_key(k): _ratio(v) for k, v in category_multipliers.items()}
    totals = [_ratio(item.total) for item in items]
    common = math.lcm(1, *(d for _, d in totals))
    total = sum(n * (common // d) for n, d in totals)
    if total <= 0:
        return Fraction(1)
    lines = [
        (n * (common // d), multipliers.get(category_key(item.category)) if item.category else None)
        for item, (n, d) in zip(items, totals, strict=True)
    ]
    scale = math.lcm(1, *(m[1] for _, m in lines if m is not None))
    weighted = sum(
        amount * scale if m is None else amount * m[0] * (scale // m[1]) for amount, m in lines
    )
    return Fraction(weighted, total * scale)


def purchase_points(
    amount: Decimal,
    points_per_currency_unit: Decimal,
    category_weight: Fraction,
    tier_multiplier: Decimal,
    channel_multiplier: Decimal = Decimal(1),
) -> int:
    """Points of a purchase: `floor(amount x points per currency unit x category weight x
    channel multiplier x tier multiplier)`, computed exactly and rounded down once.

    The amount is what the customer paid for the order (discounts and shipping included, as the
    shop reports it); the items only say how that amount splits across categories. E.g. 10.99
    at 1 point per unit is 10 points; 10.99 at 1.5 with a tier multiplier of 1.25 is
    floor(20.60625) = 20.
    """
    numerator, denominator = 1, 1
    for factor in (
        amount,
        points_per_currency_unit,
        category_weight,
        channel_multiplier,
        tier_multiplier,
    ):
        n, d = _ratio(factor)
        numerator, denominator = numerator * n, denominator * d
    # Floor division by a positive denominator rounds down, as math.floor of the fraction.
    return max(0, numerator // denominator)


def refund_points(
    points_earned: int, amount: Decimal, refunded_before: Decimal, refunded_after: Decimal
) -> int:
    """Points a refund takes back: the order's points for the share refunded so far, rounded
    down, minus what earlier refunds of the order already took. Computing on the running total
    means partial refunds never drift: refunding the whole order, in any number of parts, takes
    back exactly the points it earned."""
    if amount <= 0 or points_earned <= 0:
        return 0
    after = math.floor(Fraction(points_earned) * Fraction(refunded_after) / Fraction(amount))
    before = math.floor(Fraction(points_earned) * Fraction(refunded_before) / Fraction(amount))
    return after - before
