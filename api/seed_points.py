"""Demo data of the points area: four tiers, the earning rules, a year of purchases.

Idempotent: tiers and rules are upserts, purchases are keyed by their order ids.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from api.runtime import Runtime
from domain.points.earning import LineItem
from domain.points.services import EarningRulesInput, configure_earning_rules
from domain.purchases.models import Channel, Purchase
from domain.purchases.services import record_purchase
from domain.purchases.validation import PurchaseInput
from domain.tiers.ladder import TierSpec
from domain.tiers.services import configure_tiers, review_tiers

DEMO_TIERS = [
    TierSpec("BRONZE", "Bronze", 0, 0, Decimal(1), ("Birthday gift",)),
    TierSpec("SILVER", "Silver", 1, 500, Decimal("1.25"), ("Birthday gift", "Free shipping")),
    TierSpec(
        "GOLD",
        "Gold",
        2,
        2000,
        Decimal("1.5"),
        ("Birthday gift", "Free shipping", "Early access to drops"),
    ),
    TierSpec(
        "PLATINUM",
        "Platinum",
        3,
        5000,
        Decimal(2),
        ("Birthday gift", "Free shipping", "Early access to drops", "Personal shopper"),
    ),
]
DEMO_RULES = EarningRulesInput(
    points_per_currency_unit=Decimal(1),
    category_multipliers=(("shoes", Decimal(2)), ("accessories", Decimal("1.5"))),
    pending_days=14,
    expiry_days=365,
    tier_window_months=12,
    referrer_points=500,
    referee_points=250,
    share_points=10,
    review_points=50,
    survey_points=25,
    engagement_daily_cap=3,
)
CATALOGUE = [
    ("SNK-RUN-01", "shoes", Decimal("89.90")),
    ("SNK-CLS-02", "shoes", Decimal("119.00")),
    ("TEE-BAS-01", "clothing", Decimal("19.99")),
    ("HOD-ZIP-01", "clothing", Decimal("59.50")),
    ("CAP-LOG-01", "accessories", Decimal("24.00")),
    ("SCK-3PK-01", "accessories", Decimal("12.90")),
]
STORES = ("MAD-GRANVIA", "BCN-PASSEIG", "LON-OXFORD")


async def seed_points(runtime: Runtime) -> str:
    from api.seed import DEMO_MEMBERS  # api.seed imports this module

    now = runtime.clock.now()
    currency = runtime.settings.program_currency
    await configure_tiers(DEMO_TIERS, now)
    await configure_earning_rules(DEMO_RULES, now)
    for index, (customer_id, *_) in enumerate(DEMO_MEMBERS):
        draw = random.Random(f"fidelio-demo-{customer_id}")
        orders: list[PurchaseInput] = []
        # From 1 to about 13 orders over the past year: a spread of tiers.
        for number in range(1 + index + draw.randrange(2)):
            lines = draw.sample(CATALOGUE, k=draw.randint(1, 3))
            items = tuple(
                LineItem(sku=sku, category=category, quantity=1, unit_price=price)
                for sku, category, price in lines
            )
            channel = draw.choice(list(Channel))
            orders.append(
                PurchaseInput(
                    order_id=f"DEMO-{customer_id.upper()}-{number + 1:03d}",
                    customer_id=customer_id,
                    amount=sum((i.total for i in items), Decimal(0)),
                    currency=currency,
                    channel=channel,
                    store_code=draw.choice(STORES) if channel is Channel.STORE else None,
                    occurred_at=now
                    - timedelta(days=draw.randint(1, 360), hours=draw.randint(0, 23)),
                    items=items,
                )
            )
        # Each order recorded when it happened, in order: its points are credited in its
        # month, so the console's monthly figures (points issued beside revenue) show the
        # year, not one month holding every credit.
        for order in sorted(orders, key=lambda o: o.occurred_at or now):
            await record_purchase(
                order,
                order.occurred_at or now,
                program_currency=currency,
                observer=runtime.observer,
            )
    await review_tiers(now)
    purchases = await Purchase.filter(order_id__startswith="DEMO-").count()
    return f"{len(DEMO_TIERS)} tiers, earning rules, {purchases} purchases"
