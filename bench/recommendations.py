"""`me.recommendedRewards` for the app's home screen, beside the trivial query, over HTTP.

    .venv/bin/python -m bench.recommendations [--members 5000] [--seconds 4] [--concurrency 8]

Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; see bench/harness.py).
Generates a program with planted tastes (`domain.offers.evaluation.planted_program`: members
who buy in their categories and redeem those categories' rewards) into a fresh database,
trains the recommender once (`fidelio offers train`'s code), serves the app with uvicorn in a
subprocess (scheduled jobs on, automations off: production's defaults) and measures the list of five and of twenty
as members the model scored, and as a new member (the cold start), each beside
`{ __typename }` in the same run; then the CPU time per request of the same queries in this
process (steadier on a shared machine). Every answer is checked for errors and for a
non-empty list.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.harness import (
    REDIS_URL,
    TRIVIAL,
    Figures,
    cpu_ms_per_request,
    in_process_database,
    measure,
    postgres_database,
    server,
    token,
    trivial_query,
)
from bench.leaderboards import clean_redis

QUERY = """
query Recommended($first: Int!) {
  me {
    recommendedRewards(first: $first) {
      basis modelVersion
      rewards { basis score reason affordable pointsMissing reward { id code name costPoints canRedeem } }
    }
  }
}"""
BATCH = 2000


async def seed(database_url: str, members: int) -> str:
    """The planted program written through the models, then one training."""
    from domain.members.models import Member
    from domain.offers.evaluation import planted_program
    from domain.offers.services import OfferSettings, train_and_store
    from domain.offers.training import InteractionKind
    from domain.purchases.models import Channel, Purchase
    from domain.rewards.catalogue import RewardSpec, upsert_reward
    from domain.rewards.models import CouponStatus, Redemption, RewardKind

    now = datetime.now(UTC)
    program = planted_program(members, end=now - timedelta(days=1))
    async with in_process_database(database_url):
        reward_ids = {}
        for code in program.rewards:
            reward, _ = await upsert_reward(
                RewardSpec(code, f"Reward {code}", "", RewardKind.PRODUCT, cost_points=100), now
            )
            reward_ids[code] = reward.id
        rows = [
            Member(
                customer_id=f"m{n}",
                display_name=f"Member {n}",
                referral_code=f"B{n:011d}",
                joined_at=now - timedelta(days=400),
                country=region,
                tier_level=tier,
                locale="es" if n % 2 else "en",
            )
            for n, (tier, region) in program.groups.items()
        ]
        for start in range(0, len(rows), BATCH):
            await Member.bulk_create(rows[start : start + BATCH])
        ids = dict(
            await Member.filter(customer_id__startswith="m").values_list("customer_id", "id")
        )
        purchases, redemptions = [], []
        for n, interaction in enumerate(program.interactions):
            member_id = ids[f"m{interaction.member_id}"]
            name = interaction.item.split(":", 1)[1]
            if interaction.kind is InteractionKind.PURCHASE:
                purchases.append(
                    Purchase(
                        order_id=f"B-{n}",
                        member_id=member_id,
                        amount=Decimal("30.00"),
                        currency="EUR",
                        channel=Channel.APP,
                        occurred_at=interaction.at,
                        recorded_at=interaction.at,
                        categories=[name],
                        items=[],
                    )
                )
            else:
                redemptions.append(
                    Redemption(
                        code=f"B-{n}",
                        member_id=member_id,
                        reward_id=reward_ids[name],
                        points_spent=100,
                        status=CouponStatus.USED,
                        created_at=interaction.at,
                    )
                )
        for start in range(0, len(purchases), BATCH):
            await Purchase.bulk_create(purchases[start : start + BATCH])
        for start in range(0, len(redemptions), BATCH):
            await Redemption.bulk_create(redemptions[start : start + BATCH])
        began = time.perf_counter()
        run = await train_and_store(now, OfferSettings())
        took = time.perf_counter() - began
    return (
        f"{members} members, {len(purchases)} purchases, {len(redemptions)} redemptions, "
        f"{len(program.rewards)} rewards; version {run.version} ({run.basis.value}) trained and "
        f"stored in {took:.1f} s"
    )


def cpu_per_request(database_url: str, prefix: str) -> dict[str, float]:
    """CPU milliseconds per request in this process (the app driven through ASGI, no HTTP
    client): steadier than rates on a shared machine."""
    from api.app import create_app
    from api.settings import Settings

    async def run() -> dict[str, float]:
        settings = Settings(
            database_url=database_url,
            redis_url=REDIS_URL,
            redis_prefix=prefix,
            run_background=False,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            bearer = token("member", "m1")
            figures = {"{ __typename }": await cpu_ms_per_request(app, {"query": TRIVIAL}, bearer)}
            for first in (5, 20):
                payload = {"query": QUERY, "variables": {"first": first}}
                figures[f"recommendedRewards(first: {first})"] = await cpu_ms_per_request(
                    app, payload, bearer, requests=1000
                )
            return figures

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    prefix = f"bench{uuid.uuid4().hex[:6]}:"
    with postgres_database() as database, clean_redis(prefix):
        print("seeded:", asyncio.run(seed(database, args.members)))
        scored = [token("member", f"m{n}") for n in range(1, min(args.members, 200) + 1)]
        # Created on first sight during the warm-up: then every request is a read.
        newcomers = [token("member", f"new-{n}") for n in range(50)]

        def listed(body: dict[str, Any]) -> bool:
            found = (body.get("data") or {}).get("me", {}).get("recommendedRewards")
            return not body.get("errors") and bool(found and found["rewards"])

        cases = [
            ("recommendedRewards(first: 5)", scored, 5),
            ("recommendedRewards(first: 20)", scored, 20),
            ("cold start (first: 5)", newcomers, 5),
        ]
        # Automations off, as in production by default: the planted members would all be
        # invited back (win-back) and the pushes would run beside the measurement.
        env = {"REDIS_PREFIX": prefix, "AUTOMATIONS_ENABLED": "false"}
        with server(database, REDIS_URL, extra_env=env) as base:
            baseline = trivial_query(base, args.concurrency, args.seconds)
            rows: list[Figures] = []
            for label, bearers, first in cases:

                def send(
                    n: int, bearers: list[str] = bearers, first: int = first
                ) -> tuple[str, dict[str, Any], str]:
                    return QUERY, {"first": first}, bearers[n % len(bearers)]

                rows.append(
                    measure(
                        base,
                        label,
                        send,
                        concurrency=args.concurrency,
                        seconds=args.seconds,
                        check=listed,
                    )
                )
        cpu = cpu_per_request(database, prefix)
        print(baseline.row())
        for figures in rows:
            print(figures.row(baseline))
        trivial_ms = cpu["{ __typename }"]
        for label, ms in cpu.items():
            print(
                f"in process, CPU per request: {label:<30} {ms:6.2f} ms  ({trivial_ms / ms:6.1%})"
            )
        assert all(f.errors == 0 for f in [baseline, *rows]), "some requests failed"


if __name__ == "__main__":
    main()
