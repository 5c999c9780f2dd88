"""A leaderboard of 1,000,000 members read through GraphQL over HTTP.

    .venv/bin/python -m bench.leaderboards [--members 1000000] [--seconds 5] [--concurrency 8]
    .venv/bin/python -m bench.leaderboards --in-process [--members 100000]  # per request
    .venv/bin/python -m bench.leaderboards --only 'Leaderboard, first: 10' [--in-process --profile DIR]

Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; see bench/harness.py). Loads
the members into a fresh database (COPY) and the board straight into Redis (pipelined), serves
the app with uvicorn in a subprocess (scheduled jobs on, as in production), and measures beside
the trivial query `{ __typename }` in the same run (p50/p99): `top(first: 10)` alone (the query
game backends' top-10 figures compare with), the contract's whole `Leaderboard` operation (top,
me, aroundMe) with `first: 10` and `first: 100`, `me` and `aroundMe(radius: 10)`. Board pages
come from the fragment cache (api.fragments) once a second per process; the rest is per member.
First checks, in this process against the same database and Redis, that each of these queries
costs a constant number of database queries whatever the page size, on a cache miss. Each
operation's ratio is against the trivial query measured in turns with it (four slices of
each, alternating: bench.harness `measure_beside_trivial`), whose rate ends the row.

`--in-process` sends the same operations (and the trivial query) straight into the ASGI app in
this process, the bearers rotating over the same 200 members, and prints per request the SQL
statements sent, the Redis round trips made, the Python function calls (cProfile's count) and
the CPU time: the figures that do not depend on how busy the machine is, but the last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import redis.asyncio as aioredis

from bench.harness import (
    REDIS_URL,
    measure_beside_trivial,
    postgres_database,
    server,
    token,
    trivial_query,
)

CODE = "bench-spend"
WINDOW = "WEEKLY"
TOP = """query Top($first: Int) { leaderboard(code: "bench-spend", window: WEEKLY) {
  totalEntries top(first: $first) { rank score member { id displayName tier { code } } } } }"""
TOP10 = """{ leaderboard(code: "bench-spend", window: WEEKLY) {
  top(first: 10) { rank score member { id displayName tier { code } } } } }"""
#: The contract's operation (tests/contract/operations/member-app.graphql), as the app sends it.
LEADERBOARD = """query Leaderboard($code: String!, $window: LeaderboardWindow!, $region: String, $first: Int) {
  leaderboard(code: $code, window: $window, region: $region) {
    code name metric window region periodStart periodEnd totalEntries
    top(first: $first) { rank score member { id displayName tier { code } } }
    me { rank score }
    aroundMe(radius: 2) { rank score member { id displayName } }
  }
}"""
ME = '{ leaderboard(code: "bench-spend", window: WEEKLY) { me { rank score } } }'
AROUND = """{ leaderboard(code: "bench-spend", window: WEEKLY) {
  aroundMe(radius: 10) { rank score member { id displayName } } } }"""


async def load_members(database_url: str, count: int, now: datetime) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        batch = 100_000
        for start in range(1, count + 1, batch):
            rows = [
                (i, f"c{i}", f"Member {i}", "en", "UTC", f"R{i:012d}", now, 0)
                for i in range(start, min(start + batch, count + 1))
            ]
            await conn.copy_records_to_table(
                "member",
                records=rows,
                columns=[
                    "id",
                    "customer_id",
                    "display_name",
                    "locale",
                    "time_zone",
                    "referral_code",
                    "joined_at",
                    "tier_level",
                ],
            )
        await conn.execute("SELECT setval(pg_get_serial_sequence('member', 'id'), $1)", count)
    finally:
        await conn.close()


async def define_board(database_url: str, now: datetime) -> None:
    from api.db import close_database, open_database
    from gamification.leaderboards.definitions import LeaderboardSpec, save_definition
    from gamification.leaderboards.models import LeaderboardMetric
    from gamification.leaderboards.periods import LeaderboardWindow

    await open_database(database_url)
    try:
        spec = LeaderboardSpec(
            CODE, "Bench spenders", LeaderboardMetric.AMOUNT_SPENT, (LeaderboardWindow.WEEKLY,)
        )
        await save_definition(spec, now)
    finally:
        await close_database()


async def load_board(prefix: str, count: int, now: datetime) -> float:
    """The board straight into Redis, pipelined; returns the seconds it took."""
    from gamification.leaderboards import BoardKey, LeaderboardStore, LeaderboardWindow
    from gamification.leaderboards.store import ScoreEntry

    draw = random.Random(1)
    redis = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        store = LeaderboardStore(redis, prefix)
        board = BoardKey.for_time(CODE, LeaderboardWindow.WEEKLY, now, ZoneInfo("UTC"))
        entries = [
            ScoreEntry(
                i, draw.randrange(0, 5_000_000), now - timedelta(seconds=draw.randrange(600_000))
            )
            for i in range(1, count + 1)
        ]
        started = time.perf_counter()
        written = await store.replace_all(board, entries)
        assert written == count and await store.count(board) == count
        # The board is what Redis should hold: the server must not rebuild it from the
        # database at start (which has no purchases behind these scores).
        await redis.set(f"{prefix}leaderboards:built", now.isoformat())
        return time.perf_counter() - started
    finally:
        await redis.aclose()


async def query_counts(database_url: str, prefix: str) -> dict[str, int]:
    """Database queries per operation, run in this process through the real schema."""
    from tortoise import connections

    from api.auth import Principal, Role
    from api.context import Context
    from api.db import close_database, open_database
    from api.runtime import build_runtime
    from api.schema import build_schema
    from api.settings import Settings

    settings = Settings(database_url=database_url, redis_url=REDIS_URL, redis_prefix=prefix)
    runtime = build_runtime(settings)
    schema = build_schema(settings)
    await open_database(database_url)
    client = type(connections.get("default"))
    seen: list[str] = []
    originals = {n: getattr(client, n) for n in ("execute_query", "execute_query_dict")}

    def counting(name: str) -> Any:
        def run(self: Any, query: str, *args: Any, **kw: Any) -> Any:
            seen.append(query)
            return originals[name](self, query, *args, **kw)

        return run

    counts: dict[str, int] = {}
    try:
        for name in originals:
            setattr(client, name, counting(name))
        operations = {
            "top(first: 1)": (TOP, {"first": 1}),
            "top(first: 100)": (TOP, {"first": 100}),
            "me": (ME, {}),
            "aroundMe(radius: 10)": (AROUND, {}),
        }
        for label, (query, variables) in operations.items():
            context = Context(
                request=None,
                runtime=runtime,
                principal=Principal(Role.MEMBER, "c500000"),
                request_id="bench",
            )
            await schema.execute(query, variable_values=variables, context_value=context)
            runtime.fragments.clear()  # count a miss: a hit sends no query at all
            seen.clear()
            context = Context(
                request=None,
                runtime=runtime,
                principal=Principal(Role.MEMBER, "c500000"),
                request_id="bench",
            )
            result = await schema.execute(query, variable_values=variables, context_value=context)
            assert result.errors is None, result.errors
            counts[label] = len(seen)
    finally:
        for name, original in originals.items():
            setattr(client, name, original)
        await close_database()
        await runtime.redis.aclose()
    return counts


def in_process(
    database: str,
    prefix: str,
    bearers: list[str],
    requests: int = 300,
    only: set[str] | None = None,
    profile_to: str | None = None,
) -> None:
    """Per request of each operation: statements, Redis round trips, Python calls and CPU
    milliseconds, in process (scheduled jobs off); `only` the operations named (and the
    trivial query); `profile_to`: a directory for cProfile's stats of each (NAME.prof), whose top
    functions are printed too."""
    import cProfile
    import logging
    import pstats

    from redis.asyncio.connection import AbstractConnection

    from api.app import create_app
    from api.settings import Settings
    from bench.harness import Statements, asgi_post

    operations: dict[str, tuple[str, dict[str, Any]]] = {
        "trivial": ("{ __typename }", {}),
        "top(first: 10)": (TOP10, {}),
        "Leaderboard, first: 10": (LEADERBOARD, {"code": CODE, "window": WINDOW, "first": 10}),
        "Leaderboard, first: 100": (LEADERBOARD, {"code": CODE, "window": WINDOW, "first": 100}),
        "top(first: 100)": (TOP, {"first": 100}),
        "me": (ME, {}),
        "aroundMe(radius: 10)": (AROUND, {}),
    }
    round_trips = [0]
    send = AbstractConnection.send_packed_command

    async def counted(self: Any, command: Any, check_health: bool = True) -> None:
        round_trips[0] += 1
        await send(self, command, check_health)

    async def run() -> None:
        settings = Settings(
            database_url=database, redis_url=REDIS_URL, redis_prefix=prefix, run_background=False
        )
        app = create_app(settings)
        logger = logging.getLogger("tortoise.db_client")
        print(
            f"{'operation':24} {'statements':>10} {'redis':>6} {'calls':>7} {'calls x':>7} "
            f"{'CPU ms':>7}"
        )
        async with app.router.lifespan_context(app):
            base_calls = 0.0
            for name, (document, variables) in operations.items():
                if only and name != "trivial" and name not in only:
                    continue
                payload = {"query": document, "variables": variables}

                async def send_all(count: int, payload: dict[str, Any] = payload) -> None:
                    for n in range(count):
                        answer = await asgi_post(app, payload, bearers[n % len(bearers)])
                        assert not answer.get("errors"), answer

                await send_all(2 * len(bearers))  # every bearer's id known, pages cached
                began = time.process_time()
                await send_all(requests)
                cpu = (time.process_time() - began) / requests * 1000
                counter = Statements()
                level = logger.level
                logger.setLevel(logging.DEBUG)
                logger.addHandler(counter)
                round_trips[0] = 0
                AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]  # counting round trips
                try:
                    await send_all(requests)
                finally:
                    AbstractConnection.send_packed_command = send  # type: ignore[method-assign]  # put back
                    logger.removeHandler(counter)
                    logger.setLevel(level)
                profile = cProfile.Profile()
                profile.enable()
                await send_all(requests)
                profile.disable()
                stats = pstats.Stats(profile)
                calls = stats.total_calls / requests  # type: ignore[attr-defined]
                base_calls = base_calls or calls
                if profile_to:
                    stem = re.sub(r"\W+", "_", name).strip("_")
                    stats.dump_stats(os.path.join(profile_to, f"{stem}.prof"))
                    stats.sort_stats("tottime").print_stats(25)
                print(
                    f"{name:24} {counter.count / requests:10.2f} "
                    f"{round_trips[0] / requests:6.2f} {calls:7.0f} {calls / base_calls:7.2f} "
                    f"{cpu:7.3f}"
                )

    asyncio.run(run())


@contextlib.contextmanager
def clean_redis(prefix: str) -> Iterator[None]:
    try:
        yield
    finally:

        async def wipe() -> None:
            redis = aioredis.from_url(REDIS_URL, decode_responses=True)
            try:
                keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=10_000)]
                for start in range(0, len(keys), 10_000):
                    await redis.delete(*keys[start : start + 10_000])
            finally:
                await redis.aclose()

        asyncio.run(wipe())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="statements, Redis round trips, Python calls and CPU per request, in this process",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="OPERATION",
        help="measure only this operation (by its label, e.g. 'Leaderboard, first: 10'; "
        "repeatable), beside the trivial query",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="with --in-process: cProfile's stats of each operation into DIR (NAME.prof) and "
        "its top functions printed",
    )
    args = parser.parse_args()
    only = set(args.only or ())
    now = datetime.now(UTC)
    prefix = f"bench{uuid.uuid4().hex[:6]}:"
    with postgres_database() as database, clean_redis(prefix):
        started = time.perf_counter()
        asyncio.run(load_members(database, args.members, now))
        print(
            f"{args.members:,} members copied into PostgreSQL in {time.perf_counter() - started:.1f} s"
        )
        asyncio.run(define_board(database, now))
        seconds = asyncio.run(load_board(prefix, args.members, now))
        print(f"board of {args.members:,} members loaded into Redis in {seconds:.1f} s")

        counts = asyncio.run(query_counts(database, prefix))
        print("database queries per request:", counts)
        assert counts["top(first: 1)"] == counts["top(first: 100)"], counts
        assert max(counts.values()) <= 2, counts

        draw = random.Random(2)
        bearers = [token("member", f"c{draw.randrange(1, args.members + 1)}") for _ in range(200)]
        if args.in_process:
            in_process(database, prefix, bearers, only=only, profile_to=args.profile)
            return

        def top(n: int) -> tuple[str, dict[str, Any], str]:
            return TOP, {"first": 100}, bearers[n % len(bearers)]

        def top10(n: int) -> tuple[str, dict[str, Any], str]:
            return TOP10, {}, bearers[n % len(bearers)]

        def operation(first: int) -> Any:
            variables = {"code": CODE, "window": WINDOW, "first": first}

            def send(n: int) -> tuple[str, dict[str, Any], str]:
                return LEADERBOARD, variables, bearers[n % len(bearers)]

            return send

        def ten(body: dict[str, Any]) -> bool:
            return len(body["data"]["leaderboard"]["top"]) == 10

        def whole(first: int) -> Any:
            def check(body: dict[str, Any]) -> bool:
                board = body["data"]["leaderboard"]
                return (
                    len(board["top"]) == first
                    and board["totalEntries"] == args.members
                    and board["me"]["rank"] >= 1
                    and 3 <= len(board["aroundMe"]) <= 5
                )

            return check

        def me(n: int) -> tuple[str, dict[str, Any], str]:
            return ME, {}, bearers[n % len(bearers)]

        def around(n: int) -> tuple[str, dict[str, Any], str]:
            return AROUND, {}, bearers[n % len(bearers)]

        def full_page(body: dict[str, Any]) -> bool:
            board = body["data"]["leaderboard"]
            return len(board["top"]) == 100 and board["totalEntries"] == args.members

        def ranked(body: dict[str, Any]) -> bool:
            return body["data"]["leaderboard"]["me"]["rank"] >= 1

        def around_ok(body: dict[str, Any]) -> bool:
            return 11 <= len(body["data"]["leaderboard"]["aroundMe"]) <= 21

        c = args.concurrency
        with server(database, REDIS_URL, extra_env={"REDIS_PREFIX": prefix}) as base:
            baseline = trivial_query(base, c, args.seconds)
            plan: list[tuple[str, Any, Any]] = [
                ("top(first: 10)", top10, ten),
                ("Leaderboard, first: 10", operation(10), whole(10)),
                ("Leaderboard, first: 100", operation(100), whole(100)),
                ("top(first: 100)", top, full_page),
                ("me", me, ranked),
                ("aroundMe(radius: 10)", around, around_ok),
            ]
            rows = [
                measure_beside_trivial(
                    base, label, send, concurrency=c, seconds=args.seconds, check=check
                )
                for label, send, check in plan
                if not only or label in only
            ]
        print(baseline.row())
        for figures, beside in rows:
            print(figures.row_beside(beside))
        assert all(f.errors == 0 for f in [baseline, *(f for f, _ in rows)]), "some requests failed"


if __name__ == "__main__":
    main()
