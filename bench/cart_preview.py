"""previewPurchase (the cart preview) over HTTP beside the trivial query, same run.

    .venv/bin/python -m bench.cart_preview [--members 300] [--concurrency 8] [--seconds 5]
        [--profile]

PostgreSQL (a fresh database) and the real Redis (BENCH_REDIS_URL). The program has four
tiers, category multipliers, 20 badges and 6 challenges of purchases (filtered by category,
channel and amount, some windowed, two recurring), and `--members` members with two purchases
each. The shop previews random carts (one to four lines, three quarters for known members,
the rest for customers not seen yet) through the served API; then, in one process, the CPU
per request of the trivial query and of a preview (`--profile`: the preview's top functions by
cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.harness import (
    REDIS_URL,
    TRIVIAL,
    cpu_ms_per_request,
    in_process_database,
    measure,
    postgres_database,
    server,
    token,
    trivial_query,
)

PREVIEW = """
query PreviewPurchase($input: RecordPurchaseInput!) {
  previewPurchase(input: $input) {
    preview {
      alreadyRecorded memberKnown pointsEarned availableAt pending bonusPoints pointsAwarded
      earning { pointsPerCurrencyUnit categoryWeight tierMultiplier categories { category multiplier share } }
      tier { code name } newTier { code name }
      badges { code name rewardPoints }
      completedChallenges { code title rewardPoints }
    }
    userErrors { code field message }
  }
}"""
CATEGORIES = ("shoes", "socks", "shirts", "hats", "bags", None)


def cart(rng: random.Random, customer: str, order: str) -> dict[str, Any]:
    """A random cart of one to four lines."""
    items = []
    for line in range(rng.randint(1, 4)):
        price = Decimal(rng.randint(100, 12000)) / 100
        items.append(
            {
                "sku": f"sku-{line}",
                "category": rng.choice(CATEGORIES),
                "quantity": rng.randint(1, 3),
                "unitPrice": str(price),
            }
        )
    total = sum(Decimal(i["unitPrice"]) * i["quantity"] for i in items)
    return {
        "input": {
            "orderId": order,
            "customerId": customer,
            "amount": str(total),
            "currency": "EUR",
            "channel": rng.choice(("APP", "WEB", "STORE")),
            "items": items,
        }
    }


async def load(url: str, members: int) -> None:
    """The program and the members' history, through the real use cases."""
    from domain.points.earning import LineItem
    from domain.points.services import EarningRulesInput, configure_earning_rules
    from domain.purchases.models import Channel
    from domain.purchases.services import record_purchase
    from domain.purchases.validation import PurchaseInput
    from domain.tiers.ladder import TierSpec
    from domain.tiers.services import configure_tiers
    from gamification.achievements.engine import AchievementEngine
    from gamification.achievements.services import (
        BadgeDraft,
        ChallengeDraft,
        upsert_badge,
        upsert_challenge,
    )
    from gamification.rules import Recurrence, Rule

    now = datetime.now(UTC)
    async with in_process_database(url):
        await configure_earning_rules(
            EarningRulesInput(
                points_per_currency_unit=Decimal(1),
                pending_days=14,
                expiry_days=365,
                tier_window_months=12,
                referrer_points=500,
                referee_points=250,
                share_points=10,
                review_points=50,
                survey_points=25,
                engagement_daily_cap=3,
                category_multipliers=(("shoes", Decimal(2)), ("socks", Decimal("0.5"))),
            ),
            now,
        )
        await configure_tiers(
            [
                TierSpec("BRONZE", "Bronze", 0, 0, Decimal(1)),
                TierSpec("SILVER", "Silver", 1, 500, Decimal("1.25")),
                TierSpec("GOLD", "Gold", 2, 2000, Decimal("1.5")),
                TierSpec("PLATINUM", "Platinum", 3, 8000, Decimal(2)),
            ],
            now,
        )
        rng = random.Random(7)
        aggregates = ("COUNT", "SUM_AMOUNT", "SUM_POINTS", "DISTINCT_DAYS", "DISTINCT_CATEGORIES")
        for i in range(20):
            aggregate = aggregates[i % len(aggregates)]
            target = {"COUNT": 5, "SUM_AMOUNT": 500, "SUM_POINTS": 800}.get(aggregate, 3)
            rule = Rule(
                event="PURCHASE",
                aggregate=aggregate,
                target=target * (1 + i // 5),
                window_days=30 if i % 3 == 0 else None,
                category=(
                    rng.choice(CATEGORIES[:4])
                    if i % 4 == 1 and aggregate != "DISTINCT_CATEGORIES"
                    else None
                ),
                channel="STORE" if i % 7 == 0 else None,
            )
            await upsert_badge(
                BadgeDraft(
                    code=f"B{i:02d}",
                    name=f"Badge {i}",
                    description=f"Badge {i}",
                    rule=rule,
                    reward_points=10 * i,
                ),
                now,
            )
        for i, recurrence in enumerate(
            (Recurrence.NONE, Recurrence.WEEKLY, Recurrence.MONTHLY) * 2
        ):
            await upsert_challenge(
                ChallengeDraft(
                    code=f"C{i}",
                    title=f"Challenge {i}",
                    description=f"Challenge {i}",
                    starts_at=now - timedelta(days=10),
                    ends_at=now + timedelta(days=60),
                    goal=Rule(event="PURCHASE", aggregate="COUNT", target=2 + i),
                    recurrence=recurrence,
                    reward_points=50,
                    reward_badge_code=f"B{i:02d}" if i % 2 else None,
                ),
                now,
            )
        engine = AchievementEngine()
        for m in range(members):
            for n in range(2):
                variables = cart(rng, f"bench-{m}", f"hist-{m}-{n}")["input"]
                await record_purchase(
                    PurchaseInput(
                        order_id=variables["orderId"],
                        customer_id=variables["customerId"],
                        amount=Decimal(variables["amount"]),
                        currency="EUR",
                        channel=Channel(variables["channel"]),
                        occurred_at=now - timedelta(days=n),
                        items=tuple(
                            LineItem(
                                i["sku"], i["category"], i["quantity"], Decimal(i["unitPrice"])
                            )
                            for i in variables["items"]
                        ),
                    ),
                    now,
                    program_currency="EUR",
                    observer=engine,
                )
        print(f"setup: 20 badges, 6 challenges, {members} members with 2 purchases each")


def in_process_cpu(url: str, members: int, profile: bool) -> tuple[float, float, float]:
    """CPU milliseconds per request in this process: the trivial query, a preview, and the
    domain's preview alone (no HTTP, no GraphQL)."""
    from api.app import create_app
    from api.settings import Settings

    async def run() -> tuple[float, float, float]:
        settings = Settings(
            database_url=url,
            redis_url=REDIS_URL,
            redis_prefix=f"bench{uuid.uuid4().hex[:6]}:",
            run_background=False,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            bearer = token("service", "shop")
            trivial = await cpu_ms_per_request(app, {"query": TRIVIAL}, bearer)
            rng = random.Random(3)
            payload = {"query": PREVIEW, "variables": cart(rng, f"bench-{members // 2}", "cpu-1")}
            preview = await cpu_ms_per_request(app, payload, bearer)
            domain = await domain_cpu_ms(app.state.runtime_ref["runtime"], payload["variables"])
            if profile:
                profiler = cProfile.Profile()
                from bench.harness import asgi_post

                profiler.enable()
                for _ in range(500):
                    await asgi_post(app, payload, bearer)
                profiler.disable()
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(r"(domain|gamification|api)/", 40)
                stats.sort_stats("tottime").print_stats(25)
            return trivial, preview, domain

    return asyncio.run(run())


async def domain_cpu_ms(runtime: Any, variables: dict[str, Any], requests: int = 2000) -> float:
    """CPU milliseconds of `preview_purchase` itself, with the runtime's caches."""
    from domain.points.earning import LineItem
    from domain.purchases.models import Channel
    from domain.purchases.preview import preview_purchase
    from domain.purchases.validation import PurchaseInput

    given = variables["input"]
    purchase = PurchaseInput(
        order_id=given["orderId"],
        customer_id=given["customerId"],
        amount=Decimal(given["amount"]),
        currency=given["currency"],
        channel=Channel(given["channel"]),
        items=tuple(
            LineItem(i["sku"], i["category"], i["quantity"], Decimal(i["unitPrice"]))
            for i in given["items"]
        ),
    )

    async def once() -> None:
        await preview_purchase(
            purchase,
            runtime.clock.now(),
            program_currency=runtime.settings.program_currency,
            observer=runtime.observer,
            program=runtime.program,
            versions=await runtime.versions.read(),
        )

    for _ in range(200):
        await once()
    began = time.process_time()
    for _ in range(requests):
        await once()
    return (time.process_time() - began) / requests * 1000


def main(members: int, concurrency: int, seconds: float, profile: bool) -> None:
    bearer = token("service", "shop")
    with postgres_database("fidelio_bench_preview") as url:
        asyncio.run(load(url, members))
        carts = []
        rng = random.Random(11)
        for n in range(2000):
            known = rng.random() < 0.75
            customer = f"bench-{rng.randrange(members)}" if known else f"new-{n}"
            carts.append(cart(rng, customer, f"cart-{n}"))

        def preview(n: int) -> tuple[str, dict[str, Any], str]:
            return PREVIEW, carts[n % len(carts)], bearer

        def answered(body: dict[str, Any]) -> bool:
            payload = body["data"]["previewPurchase"]
            return not payload["userErrors"] and payload["preview"] is not None

        with server(url, REDIS_URL) as base:
            baseline = trivial_query(base, concurrency, seconds)
            figures = measure(
                base,
                "previewPurchase",
                preview,
                concurrency=concurrency,
                seconds=seconds,
                check=answered,
            )
            print(baseline.row())
            print(figures.row(baseline))
        trivial_ms, preview_ms, domain_ms = in_process_cpu(url, members, profile)
        print(
            f"CPU per request in one process: trivial {trivial_ms:.2f} ms, "
            f"previewPurchase {preview_ms:.2f} ms (trivial / preview {trivial_ms / preview_ms:.1%}),"
            f" of which the domain's preview_purchase {domain_ms:.2f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    arguments = parser.parse_args()
    main(arguments.members, arguments.concurrency, arguments.seconds, arguments.profile)
