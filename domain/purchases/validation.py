"""What the shop sends about purchases and refunds, and the rules it must follow.

Every problem is reported at once, each naming its input field the way the GraphQL client
wrote it (`["input", "items", "3", "unitPrice"]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import pycountry

from domain.errors import InputErrors, InvalidInput
from domain.members.services import CUSTOMER_ID_MAX
from domain.money import CENT, MAX_AMOUNT
from domain.points.earning import LineItem
from domain.purchases.models import Channel

MAX_ITEMS = 100
MAX_QUANTITY = 10_000
#: How far in the future `occurredAt` may be: the shop's clock may run a little ahead.
CLOCK_SKEW = timedelta(minutes=5)
ID_MAX = 128
TEXT_MAX = 64


@dataclass(frozen=True)
class PurchaseInput:
    """A purchase as the shop reports it (the contract's `RecordPurchaseInput`)."""

    order_id: str
    customer_id: str
    amount: Decimal
    currency: str
    channel: Channel
    store_code: str | None = None
    occurred_at: datetime | None = None
    items: tuple[LineItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ValidPurchase:
    order_id: str
    customer_id: str
    amount: Decimal
    currency: str
    channel: Channel
    store_code: str | None
    occurred_at: datetime
    items: tuple[LineItem, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        """Distinct item categories in order of first appearance."""
        return tuple(dict.fromkeys(i.category for i in self.items if i.category))


@dataclass(frozen=True)
class RefundInput:
    """A refund as the shop reports it (the contract's `RecordRefundInput`)."""

    refund_id: str
    order_id: str
    amount: Decimal


def _identifier(value: str, path: list[str], limit: int) -> str:
    if not value or len(value) > limit or value != value.strip() or not value.isprintable():
        raise InvalidInput(
            f"must be 1-{limit} printable characters without surrounding spaces", path
        )
    return value


def check_money(value: Decimal, path: list[str], *, positive: bool) -> Decimal:
    """A money amount: finite, at most 2 decimals, within the ledger's range, above zero
    (`positive`) or at least zero. Raises `InvalidInput` otherwise."""
    try:
        finite = value.is_finite()
    except (AttributeError, InvalidOperation):
        finite = False
    if not finite:
        raise InvalidInput("must be a decimal number", path)
    if positive and value <= 0:
        raise InvalidInput("must be greater than zero", path)
    if value < 0:
        raise InvalidInput("must not be negative", path)
    if value > MAX_AMOUNT:
        raise InvalidInput(f"must be at most {MAX_AMOUNT}", path)
    if value != value.quantize(CENT):
        raise InvalidInput("must have at most 2 decimals", path)
    return value


def check_currency(code: str, program_currency: str, path: list[str]) -> str:
    upper = code.strip().upper()
    if len(upper) != 3 or pycountry.currencies.get(alpha_3=upper) is None:
        raise InvalidInput(f"'{code}' is not an ISO 4217 currency code", path)
    if upper != program_currency.upper():
        raise InvalidInput(
            f"the program earns points in {program_currency.upper()}, not {upper}", path
        )
    return upper


def validate_purchase(
    purchase: PurchaseInput, now: datetime, *, program_currency: str
) -> ValidPurchase:
    """The purchase, checked and normalised (currency upper-cased, `occurred_at` defaulting to
    `now`). Raises `ValidationErrors` of `InvalidInput` naming every field at fault."""
    problems = InputErrors()
    problems.check(_identifier, purchase.order_id, ["input", "orderId"], ID_MAX)
    problems.check(_identifier, purchase.customer_id, ["input", "customerId"], CUSTOMER_ID_MAX)
    problems.check(check_money, purchase.amount, ["input", "amount"], positive=True)
    currency = problems.check(
        check_currency, purchase.currency, program_currency, ["input", "currency"]
    )
    store_code = purchase.store_code
    if store_code is not None:
        store_code = store_code.strip()
        if not 1 <= len(store_code) <= TEXT_MAX or not store_code.isprintable():
            problems.add(
                InvalidInput(f"must be 1-{TEXT_MAX} printable characters", ["input", "storeCode"])
            )
    occurred_at = purchase.occurred_at or now
    if occurred_at.tzinfo is None:
        problems.add(InvalidInput("must carry a time zone", ["input", "occurredAt"]))
    elif occurred_at > now + CLOCK_SKEW:
        problems.add(
            InvalidInput(
                f"is in the future (more than {int(CLOCK_SKEW.total_seconds() // 60)} minutes "
                "ahead of the server's clock)",
                ["input", "occurredAt"],
            )
        )
    items = _validate_items(purchase.items, problems)
    problems.raise_any()
    assert currency is not None  # raise_any raised otherwise
    return ValidPurchase(
        order_id=purchase.order_id,
        customer_id=purchase.customer_id,
        amount=purchase.amount,
        currency=currency,
        channel=Channel(purchase.channel),
        store_code=store_code,
        occurred_at=occurred_at,
        items=items,
    )


def _validate_items(items: tuple[LineItem, ...], problems: InputErrors) -> tuple[LineItem, ...]:
    if len(items) > MAX_ITEMS:
        problems.add(InvalidInput(f"at most {MAX_ITEMS} items per order", ["input", "items"]))
        return ()
    cleaned: list[LineItem] = []
    for i, item in enumerate(items):
        path = ["input", "items", str(i)]
        sku = item.sku.strip()
        if not 1 <= len(sku) <= TEXT_MAX or not sku.isprintable():
            problems.add(InvalidInput(f"must be 1-{TEXT_MAX} printable characters", [*path, "sku"]))
        category = item.category.strip() if item.category is not None else None
        if category is not None and (
            not 1 <= len(category) <= TEXT_MAX or not category.isprintable()
        ):
            problems.add(
                InvalidInput(f"must be 1-{TEXT_MAX} printable characters", [*path, "category"])
            )
        if not 1 <= item.quantity <= MAX_QUANTITY:
            problems.add(InvalidInput(f"must be 1-{MAX_QUANTITY}", [*path, "quantity"]))
        problems.check(check_money, item.unit_price, [*path, "unitPrice"], positive=False)
        cleaned.append(
            LineItem(sku=sku, category=category, quantity=item.quantity, unit_price=item.unit_price)
        )
    return tuple(cleaned)


def validate_refund(refund: RefundInput) -> RefundInput:
    """Raises `ValidationErrors` of `InvalidInput` naming every field at fault."""
    problems = InputErrors()
    problems.check(_identifier, refund.refund_id, ["input", "refundId"], ID_MAX)
    problems.check(_identifier, refund.order_id, ["input", "orderId"], ID_MAX)
    problems.check(check_money, refund.amount, ["input", "amount"], positive=True)
    problems.raise_any()
    return refund
