"""recordPurchase end to end over HTTP, against PostgreSQL and Redis (issue 3).

    .venv/bin/python -m bench.record_purchase [--seconds 2] [--rounds 3] [--customers 2000]
        [--clients 1 8 32] [--sustain 60] [--profile DIR]
    .venv/bin/python -m bench.record_purchase --in-process [--customers 500] [--profile-top]

Serves the app as docker/compose.yaml deploys it (the API process only serves, a `fidelio
worker` beside it delivers the outbox) with a four-tier ladder and earning rules, then measures
at 1, 8 and 32 concurrent clients the trivial query `{ __typename }` (the baseline) and the shop
backend's `RecordPurchase` operation of the contract: a new order each time (two items), spread
over a pool of customers (the first order of each creates the member), two leaderboards fed
by every purchase (points earned weekly and all time, spend monthly), with the payload the
shop asks for (member points and tier, awards). Prints purchases per second, p50/p99 latency
and the ratio to the baseline measured in the same run (in alternating rounds), how long the
worker took to catch up after each round, and, measured in one process, how much of a
purchase's CPU the GraphQL and HTTP layers take by themselves. The target is at least 15% at
c=8 with p99 under 40 ms there (issue 13).

`--sustain 60` then sends purchases at c=8 for a minute without pause and prints, at the end
of it, the outbox backlog (events not delivered yet) and the age of the oldest of them, then
how long the worker takes to empty it: a worker that keeps pace leaves a backlog of about one
second of events. `--profile DIR` records py-spy flame graphs of the API and the worker
processes during that minute (py-spy must be installed in the venv).

`--in-process` serves no HTTP: in this process, with the same program, it sends purchases
(new orders, known members spread over `--customers`) straight into the ASGI app and prints,
per purchase, the SQL statements sent (tortoise logs each at DEBUG; apart, those of the
purchases that lift the member's tier and those that create it), the Python calls made
(cProfile's count), the CPU milliseconds of the request and of the domain's
`record_purchase` alone (the least of five blocks of 300 purchases) and of the request with
the domain's answer canned, beside the trivial query's.
`--profile-top` adds cProfile's top functions of the domain path.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import logging
import os
import pstats
import shutil
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx

from bench.cpu_split import cpu_seconds as group_cpu_seconds
from bench.harness import (
    REDIS_URL,
    TRIVIAL,
    Figures,
    Statements,
    asgi_post,
    cpu_ms_per_request,
    drain_outbox,
    measure,
    postgres_database,
    server,
    token,
    trivial_query,
)

RECORD_PURCHASE = """
mutation RecordPurchase($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    purchase { id orderId amount refundedAmount currency channel pointsEarned occurredAt }
    member { id customerId tier { code } points { balance pending lifetimeEarned } }
    awards { pointsAwarded badges { badge { code name } earnedAt } completedChallenges { code title } newTier { code name } }
    userErrors { code field message }
  }
}"""
CONFIGURE_TIERS = """
mutation ($input: [TierInput!]!) { configureTiers(input: $input) { userErrors { field } } }"""
CONFIGURE_RULES = """
mutation ($input: EarningRulesInput!) { configureEarningRules(input: $input) { userErrors { field } } }"""
UPSERT_LEADERBOARD = """
mutation ($input: LeaderboardInput!) { upsertLeaderboard(input: $input) { userErrors { field } } }"""
#: Boards every purchase feeds (the worker keeps them), as a program runs them.
BOARDS = [
    {
        "code": "points",
        "name": "Points",
        "metric": "POINTS_EARNED",
        "windows": ["WEEKLY", "ALL_TIME"],
    },
    {"code": "spend", "name": "Spend", "metric": "AMOUNT_SPENT", "windows": ["MONTHLY"]},
]
TIERS = [
    {"code": "BRONZE", "name": "Bronze", "level": 0, "qualifyingPoints": 0, "pointsMultiplier": 1},
    {
        "code": "SILVER",
        "name": "Silver",
        "level": 1,
        "qualifyingPoints": 500,
        "pointsMultiplier": 1.25,
    },
    {"code": "GOLD", "name": "Gold", "level": 2, "qualifyingPoints": 2000, "pointsMultiplier": 1.5},
    {
        "code": "PLATINUM",
        "name": "Platinum",
        "level": 3,
        "qualifyingPoints": 5000,
        "pointsMultiplier": 2,
    },
]
RULES = {
    "pointsPerCurrencyUnit": 1,
    "categoryMultipliers": [{"category": "shoes", "multiplier": 2}],
    "pendingDays": 14,
    "expiryDays": 365,
    "tierWindowMonths": 12,
    "referrerPoints": 500,
    "refereePoints": 250,
    "sharePoints": 10,
    "reviewPoints": 50,
    "surveyPoints": 25,
    "engagementDailyCap": 3,
}
TARGET = 0.15
#: At c=8 (issue 13).
P99_TARGET_MS = 40.0


def configure(base: str, boards: bool) -> None:
    headers = {"Authorization": f"Bearer {token('admin', 'bench-admin')}"}
    settings: list[tuple[str, Any]] = [(CONFIGURE_TIERS, TIERS), (CONFIGURE_RULES, RULES)]
    if boards:
        settings += [(UPSERT_LEADERBOARD, board) for board in BOARDS]
    for query, variables in settings:
        body = httpx.post(
            f"{base}/graphql",
            json={"query": query, "variables": {"input": variables}},
            headers=headers,
            timeout=30,
        ).json()
        assert not body.get("errors"), body
        assert all(not v["userErrors"] for v in body["data"].values()), body


class Purchases:
    """The load's requests: new orders of `customers` customers in turn (`issued` so far)."""

    def __init__(self, customers: int) -> None:
        self.customers = customers
        self.issued = 0
        self._bearer = token("service", "bench-shop")
        self._run = uuid.uuid4().hex[:8]
        # Numbered here, not by the load generator (which counts from 0 in every round):
        # every request is a new order, never a replay of an earlier round's.
        self._orders = itertools.count()

    def __call__(self, _: int) -> tuple[str, dict[str, Any], str]:
        number = next(self._orders)
        self.issued += 1
        customers, run, bearer = self.customers, self._run, self._bearer
        return (
            RECORD_PURCHASE,
            {
                "input": {
                    "orderId": f"bench-{run}-{number}",
                    "customerId": f"bench-customer-{number % customers}",
                    "amount": "129.90",
                    "currency": "EUR",
                    "channel": "APP",
                    "items": [
                        {"sku": "SNK-1", "category": "shoes", "quantity": 1, "unitPrice": "99.90"},
                        {
                            "sku": "TEE-1",
                            "category": "clothing",
                            "quantity": 1,
                            "unitPrice": "30.00",
                        },
                    ],
                }
            },
            bearer,
        )


def purchases(customers: int) -> Purchases:
    return Purchases(customers)


def settle(base: str, database: str, make: Purchases) -> None:
    """The program as it runs once it has members: every customer's first purchase (which
    creates the member), the events delivered, and the tables' statistics taken (ANALYZE, as
    autovacuum does within its minute on a live database; pgbench does the same before it
    measures). Measured on a database still empty, the planner has no statistics yet and the
    worker's per-period aggregates take plans that scan a whole period for each member of a
    batch, and most purchases create their member."""
    import asyncpg

    while make.issued < make.customers:
        measure(base, "first purchases", make, concurrency=16, seconds=1, warmup=0, check=recorded)
    drain_outbox(database)

    async def analyze() -> None:
        connection = await asyncpg.connect(database)
        try:
            await connection.execute("ANALYZE")
        finally:
            await connection.close()

    asyncio.run(analyze())


def recorded(body: dict[str, Any]) -> bool:
    payload = body["data"]["recordPurchase"]
    return not payload["userErrors"] and payload["purchase"] is not None


def graphql_share(database: str, make: Any) -> tuple[float, float, float]:
    """In this process, CPU milliseconds per request of: the trivial query, RecordPurchase
    (new orders), and RecordPurchase with the domain's answer canned (a real purchase's answer,
    given back every time). The last is the GraphQL and HTTP layers' own work for this
    operation, so trivial / canned is the most any purchase could reach against the baseline."""
    import domain.purchases.services as services
    from api.app import create_app
    from api.settings import Settings

    real = services.record_purchase

    async def run() -> tuple[float, float, float]:
        settings = Settings(
            database_url=database,
            redis_url=REDIS_URL,
            redis_prefix=f"bench{uuid.uuid4().hex[:6]}:",
            run_background=False,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            _, _, bearer = make(0)
            trivial = await cpu_ms_per_request(app, {"query": TRIVIAL}, bearer)

            async def post_new_order() -> dict[str, Any]:
                query, variables, _ = make(0)
                return await asgi_post(app, {"query": query, "variables": variables}, bearer)

            for _ in range(100):
                assert recorded(await post_new_order())
            count = 500
            began = time.process_time()
            for _ in range(count):
                await post_new_order()
            purchase = (time.process_time() - began) / count * 1000

            answers: list[Any] = []

            async def keep(*args: Any, **kwargs: Any) -> Any:
                answers.append(await real(*args, **kwargs))
                return answers[-1]

            async def canned(*args: Any, **kwargs: Any) -> Any:
                return answers[0]

            try:
                services.record_purchase = keep  # type: ignore[assignment]
                await post_new_order()
                services.record_purchase = canned  # type: ignore[assignment]
                query, variables, _ = make(0)
                payload = {"query": query, "variables": variables}
                graphql_only = await cpu_ms_per_request(app, payload, bearer)
            finally:
                services.record_purchase = real  # type: ignore[assignment]
            return trivial, purchase, graphql_only

    return asyncio.run(run())


async def least_cpu_ms(send: Any, requests: int, blocks: int = 5) -> float:
    """CPU milliseconds per call of `send`: the least of `blocks` blocks of `requests` calls,
    since on a shared machine the others' load only ever adds to a block's figure."""
    least = float("inf")
    for _ in range(blocks):
        began = time.process_time()
        for _ in range(requests):
            await send()
        least = min(least, (time.process_time() - began) / requests * 1000)
    return least


def in_process(database: str, customers: int, top: bool, requests: int = 300) -> None:
    """Per purchase of a known member, in this process: statements, Python calls and CPU
    milliseconds (the request, the domain's `record_purchase` alone, the request with the
    domain's answer canned), beside the trivial query's."""
    import domain.purchases.services as services
    from api.app import create_app
    from api.settings import Settings
    from domain.points.earning import LineItem
    from domain.purchases.models import Channel
    from domain.purchases.validation import PurchaseInput

    make = purchases(customers)
    admin = token("admin", "bench-admin")

    def as_input(variables: dict[str, Any]) -> PurchaseInput:
        given = variables["input"]
        return PurchaseInput(
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

    async def run() -> None:
        settings = Settings(
            database_url=database,
            redis_url=REDIS_URL,
            redis_prefix=f"bench{uuid.uuid4().hex[:6]}:",
            run_background=False,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime_ref["runtime"]
            settings_: list[tuple[str, Any]] = [(CONFIGURE_TIERS, TIERS), (CONFIGURE_RULES, RULES)]
            settings_ += [(UPSERT_LEADERBOARD, board) for board in BOARDS]
            for query, variables in settings_:
                body = await asgi_post(
                    app, {"query": query, "variables": {"input": variables}}, admin
                )
                assert not body.get("errors"), body
            _, _, bearer = make(0)

            async def post_new_order() -> dict[str, Any]:
                query, variables, _ = make(0)
                return await asgi_post(app, {"query": query, "variables": variables}, bearer)

            async def domain_new_order() -> None:
                _, variables, _ = make(0)
                await services.record_purchase(
                    as_input(variables),
                    runtime.clock.now(),
                    program_currency=runtime.settings.program_currency,
                    observer=runtime.observer,
                    program=runtime.program,
                )

            # The first order loads the configuration and the catalogues (once a process).
            assert recorded(await post_new_order())
            logger = logging.getLogger("tortoise.db_client")
            counter = Statements()
            level = logger.level
            logger.setLevel(logging.DEBUG)
            logger.addHandler(counter)
            # Every customer's first purchase (it creates the member), then each member's
            # second and third (the third lifts them to SILVER).
            by_kind: dict[str, list[tuple[int, int]]] = {"new": [], "known": [], "lifts": []}
            await runtime.dispatcher.run_until_idle(max_rounds=10**6)
            try:
                for number in range(1, 3 * customers):
                    counter.count = 0
                    one = cProfile.Profile()
                    one.enable()
                    answer = await post_new_order()
                    one.disable()
                    assert recorded(answer)
                    lifted = answer["data"]["recordPurchase"]["awards"]["newTier"] is not None
                    kind = "new" if number < customers else "lifts" if lifted else "known"
                    made = pstats.Stats(one).total_calls  # type: ignore[attr-defined]
                    by_kind[kind].append((counter.count, made))
                # The outbox worker's share: delivering those purchases' events (what the
                # purchases raised: members created, points earned, purchases, tier changes).
                counter.count = 0
                worker = cProfile.Profile(time.process_time)
                worker.enable()
                await runtime.dispatcher.run_until_idle(max_rounds=10**6)
                worker.disable()
                worker_stats = pstats.Stats(worker)
                delivered = 3 * customers - 1
                worker_figures = (
                    counter.count / delivered,
                    worker_stats.total_calls / delivered,  # type: ignore[attr-defined]
                    worker_stats.total_tt / delivered * 1000,  # type: ignore[attr-defined]
                )
            finally:
                logger.removeHandler(counter)
                logger.setLevel(level)
            if top:
                print("the outbox worker delivering them, by cumulative time:")
                worker_stats.sort_stats("cumulative").print_stats(50)
                worker_stats.sort_stats("tottime").print_stats(25)
            statements = {k: sum(s for s, _ in v) / max(1, len(v)) for k, v in by_kind.items()}
            kind_calls = {k: sum(c for _, c in v) / max(1, len(v)) for k, v in by_kind.items()}
            trivial = await cpu_ms_per_request(app, {"query": TRIVIAL}, bearer)
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(requests):
                await post_new_order()
            profile.disable()
            calls = pstats.Stats(profile).total_calls / requests  # type: ignore[attr-defined]
            # CPU time, not wall time: the waits for PostgreSQL are not this process's work.
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(requests):
                await domain_new_order()
            profile.disable()
            stats = pstats.Stats(profile)
            domain_calls = stats.total_calls / requests  # type: ignore[attr-defined]
            if top:
                stats.sort_stats("cumulative").print_stats(r"(domain|gamification|api)/", 40)
                stats.sort_stats("tottime").print_stats(40)
            purchase = await least_cpu_ms(post_new_order, requests)
            domain = await least_cpu_ms(domain_new_order, requests)
            answers: list[Any] = []
            real = services.record_purchase

            async def keep(*args: Any, **kwargs: Any) -> Any:
                answers.append(await real(*args, **kwargs))
                return answers[-1]

            async def canned(*args: Any, **kwargs: Any) -> Any:
                return answers[0]

            try:
                services.record_purchase = keep  # type: ignore[assignment]
                await post_new_order()
                services.record_purchase = canned  # type: ignore[assignment]
                query, variables, _ = make(0)
                payload = {"query": query, "variables": variables}
                graphql_only = await cpu_ms_per_request(app, payload, bearer)
            finally:
                services.record_purchase = real  # type: ignore[assignment]
        print("per request, by purchase: SQL statements, Python calls (cProfile's count)")
        for kind, label in (
            ("known", "a known member's"),
            ("lifts", "one that lifts the tier"),
            ("new", "a new member's"),
        ):
            print(f"  {label:24} {statements[kind]:5.2f} {kind_calls[kind]:7.0f}")
        print(
            f"the outbox worker, per purchase of those: {worker_figures[0]:.2f} statements,"
            f" {worker_figures[1]:.0f} Python calls, {worker_figures[2]:.2f} ms CPU (under"
            " cProfile, which inflates it: compare runs, not with the figures below)"
        )
        print(
            f"a known member's purchase ({customers} members, {requests} purchases a figure):"
            f" {calls:.0f} Python calls ({domain_calls:.0f} in record_purchase); CPU"
            f" {purchase:.2f} ms, of which record_purchase {domain:.2f} ms; with the domain's"
            f" answer canned {graphql_only:.2f} ms; trivial query {trivial:.2f} ms (trivial /"
            f" purchase {trivial / purchase:.1%})"
        )

    asyncio.run(run())


def backlog(database_url: str) -> tuple[int, float]:
    """Outbox events not delivered yet, and the age in seconds of the oldest of them (by the
    database's clock, as the rows' `created_at` is written by the API's clock on this host)."""
    import asyncpg

    async def read() -> tuple[int, float]:
        conn = await asyncpg.connect(database_url)
        try:
            row = await conn.fetchrow(
                "SELECT count(*) AS due, EXTRACT(EPOCH FROM now() - min(created_at)) AS age"
                " FROM outbox_event WHERE processed_at IS NULL"
            )
            return int(row["due"]), float(row["age"] or 0.0)
        finally:
            await conn.close()

    return asyncio.run(read())


def server_processes() -> dict[str, int]:
    """This process's children by role: the API (uvicorn) and the outbox worker."""
    found: dict[str, int] = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid != me:
            continue
        if b"uvicorn" in argv:
            found["api"] = int(entry)
        elif b"worker" in argv:
            found["worker"] = int(entry)
    return found


def profilers(directory: str, seconds: float) -> list[subprocess.Popen[bytes]]:
    """py-spy recording the API and the worker for `seconds` (flame graphs in `directory`)."""
    py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    os.makedirs(directory, exist_ok=True)
    return [
        subprocess.Popen(
            [
                py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                "--rate", "200", "--nonblocking", "--format", "raw",
                "--output", os.path.join(directory, f"{role}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for role, pid in server_processes().items()
    ]  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (/proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sustain(base: str, database: str, make: Any, seconds: float, profile: str | None) -> None:
    """Purchases at c=8 for `seconds` without pause; then the outbox backlog and its age, and
    the CPU each process spent per purchase (the worker's until it caught up)."""
    processes = server_processes()
    spent = {role: cpu_seconds(pid) for role, pid in processes.items()}
    stores = group_cpu_seconds(processes["api"])
    spies = profilers(profile, seconds) if profile else []
    bought = measure(
        base, "recordPurchase sustained", make, concurrency=8, seconds=seconds, warmup=0,
        check=recorded,
    )  # fmt: skip
    api_cpu = cpu_seconds(processes["api"]) - spent["api"]
    stores_after = group_cpu_seconds(processes["api"])
    postgres_cpu = stores_after["postgres"] - stores["postgres"]
    redis_cpu = stores_after["redis"] - stores["redis"]
    due, age = backlog(database)
    waited, left, failed = drain_outbox(database)
    worker_cpu = cpu_seconds(processes["worker"]) - spent["worker"]
    for spy in spies:
        spy.wait()
    print(bought.row(), flush=True)
    print(
        f"  after {seconds:.0f} s: outbox backlog {due} events, the oldest undelivered"
        f" {age:.1f} s old; the worker emptied it {waited:.1f} s later"
        f" ({left} left, {failed} failed)",
        flush=True,
    )
    purchases = max(1, bought.requests)
    print(
        f"  CPU per purchase: API {api_cpu / purchases * 1000:.2f} ms, worker"
        f" {worker_cpu / purchases * 1000:.2f} ms (delivering its events; py-spy, if on,"
        f" adds to both); during the load, PostgreSQL {postgres_cpu / purchases * 1000:.2f}"
        f" ms and Redis {redis_cpu / purchases * 1000:.2f} ms (their processes, all callers)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 8, 32])
    parser.add_argument("--sustain", type=float, default=0, help="seconds of sustained load")
    parser.add_argument("--profile", help="directory for py-spy profiles of the sustained run")
    parser.add_argument(
        "--no-share", action="store_true", help="skip the in-process CPU share measurement"
    )
    parser.add_argument(
        "--no-boards", action="store_true", help="no leaderboards for the worker to keep"
    )
    parser.add_argument(
        "--unsettled",
        action="store_true",
        help="measure from an empty database, as this bench did until 2026-12-07 (no first "
        "purchases, no statistics)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="statements, Python calls and CPU per purchase, in this process (no HTTP load)",
    )
    parser.add_argument(
        "--profile-top", action="store_true", help="with --in-process: cProfile's top functions"
    )
    args = parser.parse_args()
    if args.in_process:
        with postgres_database() as database:
            in_process(database, args.customers, args.profile_top)
        return
    results: list[tuple[Figures, Figures]] = []
    with (
        postgres_database() as database,
        server(database, workers=args.workers, outbox_worker=True) as base,
    ):
        configure(base, boards=not args.no_boards)
        make = purchases(args.customers)
        if not args.unsettled:
            settle(base, database, make)
        for concurrency in args.clients:
            # Alternate short rounds of both, so that a burst of load from elsewhere on this
            # shared machine hits the baseline and the purchases alike.
            baselines, boughts, lags = [], [], []
            for _ in range(args.rounds):
                baselines.append(trivial_query(base, concurrency, seconds=args.seconds))
                boughts.append(
                    measure(
                        base,
                        "recordPurchase",
                        make,
                        concurrency=concurrency,
                        seconds=args.seconds,
                        warmup=0.5,
                        check=recorded,
                    )
                )
                # The worker finishes the purchases' events (leaderboards, notifications)
                # before the next baseline round, which it would otherwise slow down.
                lags.append(drain_outbox(database))
            baseline, bought = Figures.joined(baselines), Figures.joined(boughts)
            lag = sum(waited for waited, _, _ in lags)
            sustained = bought.requests / (bought.seconds + lag)
            print(baseline.row(), flush=True)
            print(bought.row(baseline), flush=True)
            print(
                f"  outbox worker: {lag / args.rounds:.2f} s per round to catch up after the"
                f" last purchase ({sum(d for _, d, _ in lags)} events left due,"
                f" {sum(f for _, _, f in lags)} failed); counting that time,"
                f" {sustained:.1f} purchases/s ({sustained / baseline.per_second:.1%})",
                flush=True,
            )
            results.append((baseline, bought))
        if args.sustain:
            sustain(base, database, make, args.sustain, args.profile)
        shares = None if args.no_share else graphql_share(database, make)
    print()
    for baseline, bought in results:
        ratio = bought.per_second / baseline.per_second
        p99 = bought.percentile(99)
        verdict = (
            ("meets" if ratio >= TARGET and p99 < P99_TARGET_MS else "BELOW")
            + f" the {TARGET:.0%} and p99 < {P99_TARGET_MS:.0f} ms target"
            if bought.concurrency == 8
            else "no target"
        )
        print(
            f"c={bought.concurrency:<3} {bought.per_second:8.1f} purchases/s vs "
            f"{baseline.per_second:8.1f} trivial queries/s: {ratio:6.1%}, p99 {p99:.1f} ms "
            f"({verdict})"
        )
    if shares is None:
        return
    trivial_ms, purchase_ms, graphql_ms = shares
    print(
        f"In one process, CPU per request: trivial query {trivial_ms:.2f} ms, recordPurchase"
        f" {purchase_ms:.2f} ms ({trivial_ms / purchase_ms:.1%}), recordPurchase with the domain's"
        f" answer canned {graphql_ms:.2f} ms ({trivial_ms / graphql_ms:.1%}: the GraphQL and HTTP"
        " layers' own work for this operation, the most any purchase could reach)."
    )


if __name__ == "__main__":
    main()
