"""Demo data of the current periods: what today's and this week's boards and challenges show.

The year of purchases (api.seed_points) lies in the past, so a board of today or this week,
and a weekly challenge, would be empty on a fresh demo. Each seeding day adds, once, a purchase
today for every demo member and a second one for every other member (completing the weekly
challenge "two a week"), keyed by the day in their order ids. The first member also gets an
older order whose points are available, so that the demo opens on a member who can afford a
reward.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from api.runtime import Runtime
from api.seed_points import CATALOGUE
from domain.points.earning import LineItem
from domain.purchases.models import Channel, Purchase
from domain.purchases.services import record_purchase
from domain.purchases.validation import PurchaseInput


async def _buy(
    runtime: Runtime,
    order_id: str,
    customer_id: str,
    at: datetime,
    lines: list[tuple[str, str, Decimal]],
) -> None:
    items = tuple(
        LineItem(sku=sku, category=category, quantity=1, unit_price=price)
        for sku, category, price in lines
    )
    currency = runtime.settings.program_currency
    await record_purchase(
        PurchaseInput(
            order_id=order_id,
            customer_id=customer_id,
            amount=sum((i.total for i in items), Decimal(0)),
            currency=currency,
            channel=Channel.APP,
            occurred_at=at,
            items=items,
        ),
        runtime.clock.now(),
        program_currency=currency,
        observer=runtime.observer,
    )


async def seed_recent_activity(runtime: Runtime) -> str:
    from api.seed import DEMO_MEMBERS  # api.seed imports this module

    now = runtime.clock.now()
    local = now.astimezone(ZoneInfo(runtime.settings.program_timezone))
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day = f"{local:%Y%m%d}"
    first = DEMO_MEMBERS[0][0]
    # Two pairs of shoes five weeks ago: points past the return window, enough for a reward.
    await _buy(
        runtime, f"DEMO-{first.upper()}-WELCOME", first, now - timedelta(days=35),
        [line for line in CATALOGUE if line[1] == "shoes"],
    )  # fmt: skip
    for index, (customer_id, *_) in enumerate(DEMO_MEMBERS):
        draw = random.Random(f"fidelio-demo-{customer_id}-{day}")
        for number in range(1 if index % 2 else 2):
            at = max(start_of_day, now - timedelta(minutes=10 * (index + 1) + number))
            lines = draw.sample(CATALOGUE, k=draw.randint(1, 2))
            order_id = f"DEMO-{customer_id.upper()}-D{day}-{number + 1}"
            await _buy(runtime, order_id, customer_id, at, lines)
    today = await Purchase.filter(order_id__contains=f"-D{day}-").count()
    return f"{today} purchases today"
