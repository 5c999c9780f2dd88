"""The mobile app's screens, each the contract's own operation, over HTTP on the demo program.

    .venv/bin/python -m bench.screens [--seconds 4] [--concurrency 8] [--members 2000]
    .venv/bin/python -m bench.screens --in-process [--profile DIR]   # per request: statements, calls, CPU

Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; see bench/harness.py). Seeds
the demo program (`fidelio seed-demo`'s data) into a fresh database, adds `--members` more
members with purchases (so that counts and boards are not trivially small), serves the app with
uvicorn in a subprocess (scheduled jobs on, as in production), and measures the operations
of tests/contract/operations/member-app.graphql that the app's screens send (Home, Rewards,
Drops, Badges, Challenges, Leaderboard, Leaderboards) as the demo member `alice`, beside the
trivial query `{ __typename }` in the same run. Every answer is checked for errors. Each
screen's ratio is against the trivial query measured in turns with it (four slices of each,
alternating: `measure_beside_trivial`), whose rate ends the row; the first row is the trivial
query measured once, before the screens.

`--in-process` sends the same operations straight into the ASGI app in this process and prints,
per request, the SQL statements sent, the Python function calls made (cProfile's count: the
same on a quiet or a busy machine, so it tells a change's effect where timings are noise) and
the CPU time, each beside the trivial query's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import uuid
from pathlib import Path
from typing import Any

from bench.harness import (
    REDIS_URL,
    Figures,
    Statements,
    measure_beside_trivial,
    postgres_database,
    server,
    token,
    trivial_query,
)
from bench.leaderboards import clean_redis

OPERATIONS = Path(__file__).resolve().parents[1] / "tests" / "contract" / "operations"
SCREENS: dict[str, dict[str, Any]] = {
    "Home": {},
    "Rewards": {},
    "Drops": {},
    "Badges": {},
    "Challenges": {},
    "Leaderboard": {"code": "spenders", "window": "WEEKLY", "first": 10},
    "Leaderboards": {},
}


def operation(name: str) -> str:
    """The contract operation `name` with the fragments it spreads, as the app sends it."""
    text = (OPERATIONS / "member-app.graphql").read_text()
    blocks = re.findall(
        r"^((?:query|mutation|subscription|fragment) (\w+).*?^\})", text, re.M | re.S
    )
    by_name = {block_name: block for block, block_name in blocks}
    body = by_name[name]
    used = [
        block
        for block, block_name in blocks
        if block.startswith("fragment") and f"...{block_name}" in body
    ]
    return "\n".join([body, *used])


#: Rounds of every scheduled job at most, after seeding (see `seed`).
MAX_SEED_ROUNDS = 50
#: Jobs that report items on every run, whether there was anything to do or not (the segment
#: counts: the segments brought up to date).
EVERY_RUN_JOBS = frozenset({"segment-counts"})


async def seed(database_url: str, prefix: str, members: int) -> str:
    """The demo program (events delivered), plus `members` more members in one statement, then
    every scheduled job until none has anything left: what seeding leaves due (the demo's
    campaign to every member, its pushes) is done before the server starts, so no screen's
    seconds carry a one-off backlog; then the tables' statistics (ANALYZE)."""
    import asyncpg

    from api.runtime import build_runtime
    from api.seed import SEEDERS
    from api.settings import Settings

    settings = Settings(database_url=database_url, redis_url=REDIS_URL, redis_prefix=prefix)
    runtime = build_runtime(settings)
    await runtime.start(background=False)
    try:
        parts = [await step(runtime) for step in SEEDERS]
        await runtime.dispatcher.run_until_idle()
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                """INSERT INTO member (customer_id, display_name, locale, time_zone,
                       referral_code, joined_at, tier_level)
                   SELECT 'extra' || n, 'Extra ' || n, 'en', 'UTC',
                       'X' || lpad(n::text, 11, '0'), now(), 0
                   FROM generate_series(1, $1) AS n""",
                members,
            )
        finally:
            await conn.close()
        # Rounds until one finds nothing to do: the demo's campaign to every member goes out
        # a page at a time (100,000 members take several rounds), its pushes after it. Two
        # fixed rounds left most of a 100,000-member fan-out to the server, which ran it
        # while the first screens were measured.
        done, rounds = 0, 0
        while rounds < MAX_SEED_ROUNDS:
            rounds += 1
            handled = await runtime.run_jobs_once()
            await runtime.dispatcher.run_until_idle()
            done += sum(handled.values())
            if not any(n for job, n in handled.items() if job not in EVERY_RUN_JOBS):
                break
    finally:
        await runtime.stop()
    # The tables' statistics, as a running program's database has them (autovacuum takes
    # them a minute or more after a bulk load; the bench would start before). Without them
    # PostgreSQL takes the 2,000 members just added for a table of a few rows and reads the
    # Leaderboard screen's members by a scan of all of them (0.5 ms a request).
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return (
        ", ".join(parts)
        + f", {members} more members, {done} items of due jobs done in {rounds} rounds, ANALYZE"
    )


def in_process(
    database: str, prefix: str, requests: int = 300, profile_dir: str | None = None
) -> None:
    """Per request of each screen: statements, Python calls and CPU milliseconds, in process;
    with `profile_dir`, each screen's cProfile statistics in it (`<screen>.pstats`)."""
    import cProfile
    import pstats

    from api.app import create_app
    from api.settings import Settings
    from bench.harness import asgi_post, cpu_ms_per_request

    async def run() -> None:
        settings = Settings(
            database_url=database, redis_url=REDIS_URL, redis_prefix=prefix, run_background=False
        )
        app = create_app(settings)
        bearer = token("member", "alice")
        logger = logging.getLogger("tortoise.db_client")
        print(f"{'operation':14} {'statements':>10} {'calls':>8} {'calls x':>8} {'CPU ms':>7}")
        async with app.router.lifespan_context(app):
            documents = {"trivial": ("{ __typename }", {})}
            documents.update({name: (operation(name), v) for name, v in SCREENS.items()})
            base_calls = 0.0
            for name, (document, variables) in documents.items():
                payload = {"query": document, "variables": variables}
                cpu = await cpu_ms_per_request(app, payload, bearer, requests)
                counter = Statements()
                level = logger.level
                logger.setLevel(logging.DEBUG)
                logger.addHandler(counter)
                try:
                    answer = await asgi_post(app, payload, bearer)
                finally:
                    logger.removeHandler(counter)
                    logger.setLevel(level)
                assert not answer.get("errors"), answer
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(requests):
                    await asgi_post(app, payload, bearer)
                profile.disable()
                if profile_dir:
                    profile.dump_stats(f"{profile_dir}/{name}.pstats")
                calls = pstats.Stats(profile).total_calls / requests  # type: ignore[attr-defined]
                base_calls = base_calls or calls
                print(
                    f"{name:14} {counter.count:10d} {calls:8.0f} {calls / base_calls:8.2f} "
                    f"{cpu:7.3f}"
                )

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="statements, Python calls and CPU per request, in this process (no HTTP load)",
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="with --in-process: each screen's cProfile stats in DIR"
    )
    args = parser.parse_args()
    prefix = f"bench{uuid.uuid4().hex[:6]}:"
    with postgres_database() as database, clean_redis(prefix):
        print("seeded:", asyncio.run(seed(database, prefix, args.members)))
        if args.in_process:
            in_process(database, prefix, profile_dir=args.profile)
            return
        bearer = token("member", "alice")

        def no_errors(body: dict[str, Any]) -> bool:
            return not body.get("errors") and body.get("data") is not None

        with server(database, REDIS_URL, extra_env={"REDIS_PREFIX": prefix}) as base:
            baseline = trivial_query(base, args.concurrency, args.seconds)
            rows: list[tuple[Figures, Figures]] = []
            for name, variables in SCREENS.items():
                document = operation(name)

                def send(
                    n: int, document: str = document, variables: dict[str, Any] = variables
                ) -> tuple[str, dict[str, Any], str]:
                    return document, variables, bearer

                rows.append(
                    measure_beside_trivial(
                        base,
                        name,
                        send,
                        concurrency=args.concurrency,
                        seconds=args.seconds,
                        check=no_errors,
                    )
                )
        print(baseline.row())
        for figures, beside in rows:
            print(figures.row_beside(beside))
        assert all(f.errors == 0 for f in [baseline, *(f for f, _ in rows)]), "some requests failed"


if __name__ == "__main__":
    main()
