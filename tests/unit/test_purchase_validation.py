"""What the shop may send as a purchase or a refund: every fault named by its input path."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import ValidationErrors
from domain.points.earning import LineItem
from domain.purchases.models import Channel
from domain.purchases.validation import (
    PurchaseInput,
    RefundInput,
    validate_purchase,
    validate_refund,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GOOD = PurchaseInput(
    order_id="A-1",
    customer_id="c-1",
    amount=Decimal("25.50"),
    currency="eur",
    channel=Channel.APP,
    items=(LineItem(sku="S1", category="shoes", quantity=1, unit_price=Decimal("25.50")),),
)


def faults(purchase: PurchaseInput) -> list[list[str] | None]:
    with pytest.raises(ValidationErrors) as caught:
        validate_purchase(purchase, NOW, program_currency="EUR")
    assert {e.code for e in caught.value.errors} == {"INVALID_INPUT"}
    return [e.field for e in caught.value.errors]


def test_a_valid_purchase_is_normalised() -> None:
    valid = validate_purchase(GOOD, NOW, program_currency="EUR")
    assert valid.currency == "EUR"
    assert valid.occurred_at == NOW
    assert valid.categories == ("shoes",)


@pytest.mark.parametrize("amount", ["0", "-0.01", "-10", "0.001", "NaN", "Infinity", "1E+13"])
def test_amounts_must_be_positive_with_two_decimals_at_most(amount: str) -> None:
    assert faults(replace(GOOD, amount=Decimal(amount))) == [["input", "amount"]]


@pytest.mark.parametrize("currency", ["XXY", "EURO", "", "€"])
def test_unknown_currency_codes_are_refused(currency: str) -> None:
    assert faults(replace(GOOD, currency=currency)) == [["input", "currency"]]


def test_a_currency_other_than_the_programs_is_refused() -> None:
    assert faults(replace(GOOD, currency="USD")) == [["input", "currency"]]


def test_a_purchase_beyond_the_clock_skew_in_the_future_is_refused() -> None:
    assert validate_purchase(
        replace(GOOD, occurred_at=NOW + timedelta(minutes=4)), NOW, program_currency="EUR"
    )
    assert faults(replace(GOOD, occurred_at=NOW + timedelta(minutes=6))) == [
        ["input", "occurredAt"]
    ]


def test_more_than_a_hundred_items_are_refused() -> None:
    items = tuple(
        LineItem(sku=f"S{i}", category=None, quantity=1, unit_price=Decimal("1"))
        for i in range(101)
    )
    assert faults(replace(GOOD, items=items)) == [["input", "items"]]
    assert validate_purchase(replace(GOOD, items=items[:100]), NOW, program_currency="EUR")


def test_a_bad_item_is_named_by_its_position_and_field() -> None:
    items = (
        *GOOD.items,
        LineItem(sku="S2", category=None, quantity=1, unit_price=Decimal("1")),
        LineItem(sku="S3", category="", quantity=0, unit_price=Decimal("1")),
        LineItem(sku="S4", category=None, quantity=1, unit_price=Decimal("-2.00")),
    )
    assert faults(replace(GOOD, items=items)) == [
        ["input", "items", "2", "category"],
        ["input", "items", "2", "quantity"],
        ["input", "items", "3", "unitPrice"],
    ]


def test_every_fault_is_reported_together() -> None:
    bad = replace(GOOD, order_id="", customer_id=" c ", amount=Decimal(0), currency="ZZZ")
    assert faults(bad) == [
        ["input", "orderId"],
        ["input", "customerId"],
        ["input", "amount"],
        ["input", "currency"],
    ]


def test_a_refund_needs_ids_and_a_positive_amount() -> None:
    with pytest.raises(ValidationErrors) as caught:
        validate_refund(RefundInput(refund_id="", order_id="A-1", amount=Decimal("-1")))
    assert [e.field for e in caught.value.errors] == [["input", "refundId"], ["input", "amount"]]
