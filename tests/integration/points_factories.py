"""Setting up purchases, tiers and rules through the real use cases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.activity import ActivityObserver
from domain.points.earning import LineItem
from domain.points.services import EarningRulesInput, configure_earning_rules
from domain.purchases.models import Channel
from domain.purchases.services import RecordedPurchase, record_purchase
from domain.purchases.validation import PurchaseInput
from domain.tiers.ladder import TierSpec
from domain.tiers.services import configure_tiers

CURRENCY = "EUR"


def purchase_input(
    order_id: str,
    customer_id: str = "c-1",
    amount: str = "100.00",
    *,
    occurred_at: datetime | None = None,
    items: tuple[LineItem, ...] = (),
    channel: Channel = Channel.APP,
    store_code: str | None = None,
) -> PurchaseInput:
    return PurchaseInput(
        order_id=order_id,
        customer_id=customer_id,
        amount=Decimal(amount),
        currency=CURRENCY,
        channel=channel,
        store_code=store_code,
        occurred_at=occurred_at,
        items=items,
    )


async def buy(
    order_id: str,
    now: datetime,
    customer_id: str = "c-1",
    amount: str = "100.00",
    observer: ActivityObserver | None = None,
    **kwargs: object,
) -> RecordedPurchase:
    return await record_purchase(
        purchase_input(order_id, customer_id, amount, **kwargs),  # type: ignore[arg-type]
        now,
        program_currency=CURRENCY,
        observer=observer,
    )


def rules_input(**changes: object) -> EarningRulesInput:
    values: dict[str, object] = {
        "points_per_currency_unit": Decimal(1),
        "pending_days": 14,
        "expiry_days": None,
        "tier_window_months": 12,
        "referrer_points": 500,
        "referee_points": 250,
        "share_points": 10,
        "review_points": 50,
        "survey_points": 25,
        "engagement_daily_cap": 3,
    }
    values.update(changes)
    return EarningRulesInput(**values)  # type: ignore[arg-type]


async def set_rules(now: datetime, **changes: object) -> None:
    await configure_earning_rules(rules_input(**changes), now)


STANDARD_TIERS = (
    TierSpec("BRONZE", "Bronze", 0, 0, Decimal(1), ("Birthday gift",)),
    TierSpec("SILVER", "Silver", 1, 500, Decimal("1.25"), ("Free shipping",)),
    TierSpec("GOLD", "Gold", 2, 2000, Decimal("1.5"), ("Free shipping", "Early access")),
)


async def set_tiers(now: datetime, specs: tuple[TierSpec, ...] = STANDARD_TIERS) -> None:
    await configure_tiers(list(specs), now)
