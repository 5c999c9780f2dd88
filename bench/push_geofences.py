"""100,000 geofences loaded: reportLocation's latency beside the trivial query, same run.

    .venv/bin/python -m bench.push_geofences [--stores 100000] [--concurrency 8] [--seconds 8]
    .venv/bin/python -m bench.push_geofences --stores 10000 --in-process   # per request


PostgreSQL (a fresh database) and the real Redis (BENCH_REDIS_URL, keys under a prefix of
its own, removed afterwards). Stores are spread over Spain, Portugal and France with radii
from 50 m to 50 km, one promotion is active at every store (1-hour cooldown), and members
report locations through the served API: half inside a fence (promotions fire, then cool
down), half where there is none. Also prints the Redis GEOSEARCH commands and database
queries one reportLocation costs, which stay constant however many fences exist.

`--profile DIR` (with `--in-process`) keeps each kind's cProfile statistics in DIR.

`--in-process` sends reportLocation straight into the ASGI app in this process and prints, per
request, the SQL statements sent, the Python function calls made (cProfile's count: the same on
a quiet or a busy machine) and the CPU time, beside the trivial query's, for a report that
fires the promotion (each request a member who has not had it yet), one inside a fence whose
promotion is cooling down, and one outside every fence.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import math
import pstats
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
import redis.asyncio as aioredis
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from bench.harness import (
    REDIS_URL,
    Statements,
    in_process_database,
    measure,
    postgres_database,
    server,
    token,
    trivial_query,
)
from domain.activity import NoAchievements
from domain.members.services import get_or_create_member
from push.live import NoLiveFeed
from push.ports import NoCoupons, NoSegments
from push.stores.geoindex import GeofenceIndex
from push.stores.models import Store
from push.stores.services import PromotionInput, upsert_promotion
from push.stores.visits import VisitServices, report_location

REPORT = """
mutation ReportLocation($input: ReportLocationInput!) {
  reportLocation(input: $input) {
    triggered { couponCode pushed promotion { id code title message bonusPoints } }
    userErrors { code field message }
  }
}"""
MEMBERS = 200
POINTS = 2000


def radius(rng: random.Random) -> float:
    draw = rng.random()
    if draw < 0.90:
        return rng.uniform(50, 500)
    if draw < 0.99:
        return rng.uniform(500, 5_000)
    return rng.uniform(5_000, 50_000)


def offset(lat: float, lon: float, metres: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(bearing) / 111_320
    dlon = metres * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


async def load(url: str, prefix: str, count: int) -> list[tuple[float, float]]:
    """Stores, the index and a promotion; returns report points (half inside a fence)."""
    rng = random.Random(100_000)
    now = datetime.now(UTC)
    async with in_process_database(url):
        began = time.perf_counter()
        stores = []
        for i in range(count):
            stores.append(
                Store(
                    code=f"S{i:06d}",
                    name=f"Store {i}",
                    latitude=rng.uniform(36.0, 50.0),
                    longitude=rng.uniform(-9.0, 8.0),
                    geofence_radius_m=round(radius(rng), 1),
                    created_at=now,
                    updated_at=now,
                )
            )
        for start in range(0, count, 5000):
            await Store.bulk_create(stores[start : start + 5000])
        client = aioredis.from_url(REDIS_URL, decode_responses=True)
        index = GeofenceIndex(client, prefix)
        indexed = await index.rebuild()
        print(f"setup: {indexed:,} stores in the database and the index in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        await upsert_promotion(
            PromotionInput(
                code="bench-visit",
                title="Thanks for coming by",
                message="10 bonus points.",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                bonus_points=10,
                cooldown_hours=1,
            ),
            now,
            NoSegments(),
            NoCoupons(),
        )
        points = []
        for i in range(POINTS):
            if i % 2 == 0:
                store = stores[rng.randrange(count)]
                points.append(
                    offset(store.latitude, store.longitude, store.geofence_radius_m * 0.5, rng)
                )
            else:  # the middle of the Atlantic: no fence there
                points.append((rng.uniform(40.0, 45.0), rng.uniform(-20.0, -15.0)))
        await count_calls(index, points[:200], now)
        await client.aclose()
    return points


async def count_calls(
    index: GeofenceIndex, points: list[tuple[float, float]], now: datetime
) -> None:
    """Database queries and Redis round trips per report_location, in this process (each
    report an hour after the last, so the promotion fires again at every fence)."""
    member = await get_or_create_member("bench-counter", now)
    services = VisitServices(index, NoAchievements(), NoSegments(), NoCoupons(), NoLiveFeed())
    calls = {"db": 0, "redis": 0}
    originals: dict[str, Any] = {}
    for name in ("execute_query", "execute_insert", "execute_query_dict", "execute_many"):
        originals[name] = getattr(AsyncpgDBClient, name)

        def counting(self: Any, *args: Any, _original: Any = originals[name]) -> Any:
            calls["db"] += 1
            return _original(self, *args)

        setattr(AsyncpgDBClient, name, counting)
    redis = index._redis
    original_pipeline, original_exists = redis.pipeline, redis.exists
    original_evalsha = redis.evalsha

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        calls["redis"] += 1
        return original_pipeline(*args, **kwargs)

    async def exists(*args: Any) -> Any:
        calls["redis"] += 1
        return await original_exists(*args)

    async def evalsha(*args: Any, **kwargs: Any) -> Any:  # a script's call (the fence lookup)
        calls["redis"] += 1
        return await original_evalsha(*args, **kwargs)

    redis.pipeline, redis.exists, redis.evalsha = pipeline, exists, evalsha
    per_call: list[tuple[int, int]] = []
    try:
        for i, (lat, lon) in enumerate(points):
            calls["db"] = calls["redis"] = 0
            await report_location(member, lat, lon, 10, now + timedelta(minutes=61 * i), services)
            per_call.append((calls["db"], calls["redis"]))
    finally:
        for name, original in originals.items():
            setattr(AsyncpgDBClient, name, original)
        redis.pipeline, redis.exists = original_pipeline, original_exists
        redis.evalsha = original_evalsha
    for label, rows in (
        ("inside a fence", per_call[0::2]),
        ("outside every fence", per_call[1::2]),
    ):
        db = sorted({r[0] for r in rows})
        trips = sorted({r[1] for r in rows})
        print(f"calls per reportLocation {label}: database queries {db[0]}-{db[-1]}, "
              f"Redis round trips {trips[0]}-{trips[-1]}")  # fmt: skip


def geosearch_calls() -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return int(stats.get("cmdstat_geosearch", {}).get("calls", 0))


async def drop_keys(prefix: str) -> None:
    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def in_process(
    url: str,
    prefix: str,
    points: list[tuple[float, float]],
    requests: int,
    profile_dir: str | None = None,
) -> None:
    """Per request of each kind of report: statements, Python calls and CPU milliseconds;
    with `profile_dir`, each kind's cProfile statistics in it (`<kind>.pstats`)."""
    from api.app import create_app
    from api.settings import Settings
    from bench.harness import asgi_post, cpu_ms_per_request

    inside, outside = points[0], points[1]

    def location(at: tuple[float, float]) -> dict[str, Any]:
        return {"query": REPORT, "variables": {"input": {
            "latitude": at[0], "longitude": at[1], "accuracyMeters": 10}}}  # fmt: skip

    # Each firing report is a member's first inside a fence: made known beforehand by a
    # report outside every fence (members are created on first sight), tokens signed ahead.
    fresh = [token("member", f"geo-fresh-{i}") for i in range(3 * requests + 1)]

    async def run() -> None:
        settings = Settings(
            database_url=url, redis_url=REDIS_URL, redis_prefix=prefix, run_background=False
        )
        app = create_app(settings)
        logger = logging.getLogger("tortoise.db_client")
        print(f"{'request':26} {'statements':>10} {'calls':>8} {'calls x':>8} {'CPU ms':>7}")
        async with app.router.lifespan_context(app):
            for bearer in fresh:
                await asgi_post(app, location(outside), bearer)
            regular = token("member", "geo-regular")
            await asgi_post(app, location(inside), regular)  # fires once: then cools down
            kinds: list[tuple[str, dict[str, Any], list[str] | None]] = [
                ("trivial", {"query": "{ __typename }"}, None),
                ("reportLocation fires", location(inside), fresh),
                ("reportLocation cooling", location(inside), None),
                ("reportLocation outside", location(outside), None),
            ]
            base_calls = 0.0
            for name, payload, bearers in kinds:
                counter = Statements()
                if bearers is None:
                    cpu = await cpu_ms_per_request(app, payload, regular, requests)
                    sends = [regular] * (requests + 1)
                else:
                    began = time.process_time()
                    for bearer in bearers[:requests]:
                        answer = await asgi_post(app, payload, bearer)
                        assert answer["data"]["reportLocation"]["triggered"], answer
                    cpu = (time.process_time() - began) / requests * 1000
                    sends = bearers[requests : 2 * requests + 1]
                level = logger.level
                logger.setLevel(logging.DEBUG)
                logger.addHandler(counter)
                try:
                    answer = await asgi_post(app, payload, sends[0])
                finally:
                    logger.removeHandler(counter)
                    logger.setLevel(level)
                assert not answer.get("errors"), answer
                profile = cProfile.Profile()
                profile.enable()
                for bearer in sends[1:]:
                    await asgi_post(app, payload, bearer)
                profile.disable()
                if profile_dir:
                    profile.dump_stats(f"{profile_dir}/{name.replace(' ', '-')}.pstats")
                calls = pstats.Stats(profile).total_calls / requests  # type: ignore[attr-defined]
                base_calls = base_calls or calls
                print(
                    f"{name:26} {counter.count:10d} {calls:8.0f} {calls / base_calls:8.2f} "
                    f"{cpu:7.3f}"
                )

    asyncio.run(run())


def main(
    count: int,
    concurrency: int,
    seconds: float,
    in_process_requests: int = 0,
    profile_dir: str | None = None,
) -> None:
    prefix = f"benchgeo{uuid.uuid4().hex[:6]}:"
    bearers = [token("member", f"geo-member-{i}") for i in range(MEMBERS)]
    try:
        with postgres_database("fidelio_bench_geo") as url:
            points = asyncio.run(load(url, prefix, count))
            if in_process_requests:
                in_process(url, prefix, points, in_process_requests, profile_dir)
                return
            with server(url, REDIS_URL, extra_env={"REDIS_PREFIX": prefix}) as base:

                def report(n: int) -> tuple[str, dict[str, Any], str]:
                    lat, lon = points[n % len(points)]
                    variables = {"input": {"latitude": lat, "longitude": lon, "accuracyMeters": 10}}
                    return REPORT, variables, bearers[n % len(bearers)]

                def answered(body: dict[str, Any]) -> bool:
                    return body["data"]["reportLocation"]["userErrors"] == []

                baseline = trivial_query(base, concurrency, seconds)
                label = f"reportLocation ({count // 1000}k fences)"
                # Warm up apart (members are created on first sight), so that the Redis
                # command count below covers the measured requests only.
                measure(base, label, report, concurrency=concurrency, seconds=1.0, warmup=0)
                before = geosearch_calls()
                figures = measure(
                    base,
                    label,
                    report,
                    concurrency=concurrency,
                    seconds=seconds,
                    warmup=0,
                    check=answered,
                )
                after = geosearch_calls()
                print(baseline.row())
                print(figures.row(baseline))
                if figures.requests:
                    print(f"Redis GEOSEARCH per reportLocation (server-wide count): "
                          f"{(after - before) / figures.requests:.2f}")  # fmt: skip
    finally:
        asyncio.run(drop_keys(prefix))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="statements, Python calls and CPU per request, in this process (no HTTP load)",
    )
    parser.add_argument("--requests", type=int, default=300, help="per kind, --in-process")
    parser.add_argument(
        "--profile", metavar="DIR", help="with --in-process: each kind's cProfile stats in DIR"
    )
    arguments = parser.parse_args()
    main(
        arguments.stores,
        arguments.concurrency,
        arguments.seconds,
        arguments.requests if arguments.in_process else 0,
        arguments.profile,
    )
