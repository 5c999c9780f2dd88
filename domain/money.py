"""Amounts of money as the program takes them from its callers.

A `Decimal` from an input can be anything the type holds: `NaN`, `Infinity`, `1E+400`, thirty
digits. Comparing a NaN raises, and `quantize` raises past the context's 28 digits, so an
amount is checked finite and bounded first, and only then for its cents.
"""

from __future__ import annotations

from decimal import Decimal

MAX_AMOUNT = Decimal("999999999999.99")
"""The largest amount the program records (purchases, refunds, thresholds, discounts)."""
CENT = Decimal("0.01")


def is_amount(value: Decimal) -> bool:
    """Whether `value` is an amount: finite, from 0 to `MAX_AMOUNT`, at most two decimals."""
    return value.is_finite() and 0 <= value <= MAX_AMOUNT and value == value.quantize(CENT)
