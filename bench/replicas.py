"""Many replicas: 4 API processes and 2 outbox workers on a Redis Cluster and PgBouncer.

    .venv/bin/python -m bench.replicas [--apis 4] [--workers 2] [--orders 100] [--backlog 800]
                                       [--members 1200] [--units 100] [--claims 4000]

Starts its own three-node Redis Cluster (`.ci/redis-cluster`, ports `--cluster-ports`) and
PgBouncer in transaction mode (`.ci/pgbouncer`, port `--pgbouncer-port`) in front of the local
PostgreSQL, a fresh database, then `--apis` uvicorn processes (RUN_BACKGROUND=false) and
`--workers` `fidelio worker` processes, all through PgBouncer and on the cluster, and runs:

1. **The same order from every replica at once**: `--orders` purchase orders, each sent
   twice to every API process concurrently (8 requests per order with 4 replicas). Checked:
   every request answered without error, one purchase and one ledger credit per order.
2. **A worker killed mid-batch**: `--backlog` more purchases are recorded while the workers
   are stopped, then the workers start; once they have delivered part of the outbox, one is
   killed with SIGKILL (its batch's transaction never commits, so its rows unlock). A
   replacement starts. Checked: every outbox event delivered (processed), no event's effect
   twice (one notification per member and dedupe key, one credit per order), and the board
   kept in the cluster equals the database's aggregate for every member.
3. **A drop storm across every replica**: `--claims` claimDrop requests from `--members`
   members for `--units` units, spread over all API processes (bench.drops_storm's plan).
   Checked: exactly the stock sold, one unit per winner, ledger debits match, only typed
   userErrors, and the gate in the cluster ends empty with nothing held.

Prints each check and its figures (requests per second, p50/p99, server CPU per request
beside the trivial query's on the same servers). Exits non-zero when a check fails. The
cluster, PgBouncer and every process it started are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.drops_storm import (
    Outcome,
    baseline,
    plan,
    prepare,
    server_cpu_seconds,
    storm,
    verify,
)
from bench.harness import Figures, in_process_database, postgres_database, server
from bench.rawhttp import Connection, ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
PURCHASE = """
mutation Purchase($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    purchase { id }
    userErrors { code field message }
  }
}"""
BOARD = "replica_spend"


@dataclass
class Services:
    """The cluster and the pooler this run started."""

    cluster_nodes: str
    pgbouncer: str

    @property
    def redis_url(self) -> str:
        return f"redis+cluster://{self.cluster_nodes}"

    def pooled(self, direct_url: str) -> str:
        """The database URL through PgBouncer, as the processes use it."""
        name = direct_url.rsplit("/", 1)[1]
        return f"postgres://postgres@{self.pgbouncer}/{name}?statement_cache_size=0&maxsize=20"


@contextlib.contextmanager
def services(cluster_ports: str, pgbouncer_port: int) -> Iterator[Services]:
    """Start the cluster and PgBouncer with the CI scripts; stop them afterwards."""
    env = {
        **os.environ,
        "REDIS_CLUSTER_PORTS": cluster_ports,
        "PGBOUNCER_PORT": str(pgbouncer_port),
    }
    cluster = subprocess.run(
        [str(ROOT / ".ci/redis-cluster"), "start"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        pooler = subprocess.run(
            [str(ROOT / ".ci/pgbouncer"), "start"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        try:
            yield Services(cluster.stdout.strip(), pooler.stdout.strip())
        finally:
            subprocess.run([str(ROOT / ".ci/pgbouncer"), "stop"], env=env, check=False)
    finally:
        subprocess.run([str(ROOT / ".ci/redis-cluster"), "stop"], env=env, check=False)


def start_worker(database: str, redis_url: str, prefix: str) -> subprocess.Popen[bytes]:
    """A `fidelio worker` process (outbox dispatcher and scheduled jobs)."""
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": prefix,
        "FIDELIO_ENV": "development",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Sent:
    """Answers of a round of requests."""

    latencies_ms: list[float] = field(default_factory=list)
    purchase_ids: dict[str, set[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


async def purchases(
    bases: list[str], bearer: str, orders: list[tuple[str, str]], copies: int, concurrency: int
) -> tuple[Sent, float]:
    """Record `orders` ((order id, customer id)); each is sent `copies` times to every base
    at once. At most `concurrency` orders in flight."""
    sent = Sent()
    queue = list(reversed(orders))

    async def one(connection: Connection, order_id: str, customer_id: str) -> None:
        elapsed, failure, purchase_id = await purchase_on(connection, bearer, order_id, customer_id)
        sent.latencies_ms.append(elapsed)
        if failure:
            sent.failures.append(failure)
        else:
            sent.purchase_ids.setdefault(order_id, set()).add(str(purchase_id))

    async def lane() -> None:
        connections = [Connection(base) for base in bases for _ in range(copies)]
        try:
            while queue:
                order_id, customer_id = queue.pop()
                await asyncio.gather(*(one(c, order_id, customer_id) for c in connections))
        finally:
            for connection in connections:
                await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return sent, time.perf_counter() - began


async def prepare_board(database: str, redis_url: str, prefix: str) -> None:
    """An all-time spend board, kept in the cluster by the outbox workers."""
    from api.runtime import redis_client
    from gamification.leaderboards.boards import Boards
    from gamification.leaderboards.definitions import LeaderboardSpec
    from gamification.leaderboards.models import LeaderboardMetric
    from gamification.leaderboards.periods import LeaderboardWindow
    from gamification.leaderboards.services import upsert_leaderboard

    client = redis_client(redis_url)
    try:
        async with in_process_database(database):
            boards = Boards(client, prefix, ZoneInfo("UTC"))
            spec = LeaderboardSpec(
                BOARD,
                "Replica spend",
                LeaderboardMetric.AMOUNT_SPENT,
                (LeaderboardWindow.ALL_TIME,),
            )
            await upsert_leaderboard(boards, spec, datetime.now(UTC))
            await boards.announced()
    finally:
        await client.aclose()


@dataclass
class OutboxState:
    total: int
    delivered: int
    locked: int


async def outbox_state(database: str) -> OutboxState:
    """Outbox rows, delivered rows, and undelivered rows locked by a worker's open batch."""
    from tortoise import connections

    async with in_process_database(database):
        conn = connections.get("default")
        rows = await conn.execute_query_dict(
            "SELECT count(*) AS total, count(processed_at) AS delivered FROM outbox_event"
        )
        free = await conn.execute_query_dict(
            "SELECT count(*) AS free FROM (SELECT id FROM outbox_event WHERE processed_at IS NULL "
            "FOR UPDATE SKIP LOCKED) AS f"
        )
    total, delivered = int(rows[0]["total"]), int(rows[0]["delivered"])
    return OutboxState(total, delivered, total - delivered - int(free[0]["free"]))


async def check_effects(database: str, redis_url: str, prefix: str, orders: int) -> list[str]:
    """After the workers drained the outbox: every event delivered, no effect twice, and the
    board in the cluster equal to the database's aggregate."""
    from tortoise import connections

    from api.runtime import redis_client
    from gamification.leaderboards.metrics import member_scores
    from gamification.leaderboards.models import LeaderboardMetric
    from gamification.leaderboards.periods import LeaderboardWindow, period_for
    from gamification.leaderboards.store import BoardKey, LeaderboardStore

    problems: list[str] = []
    now = datetime.now(UTC)
    client = redis_client(redis_url)
    try:
        async with in_process_database(database):
            conn = connections.get("default")
            counts = (
                await conn.execute_query_dict(
                    "SELECT (SELECT count(*) FROM outbox_event WHERE processed_at IS NULL) AS open,"
                    " (SELECT count(*) FROM purchase) AS purchases,"
                    " (SELECT count(*) FROM (SELECT member_id, dedupe_key FROM notification"
                    "   GROUP BY member_id, dedupe_key HAVING count(*) > 1) d) AS twice,"
                    " (SELECT count(*) FROM notification) AS notifications"
                )
            )[0]
            period = period_for(LeaderboardWindow.ALL_TIME, now, ZoneInfo("UTC"))
            expected = await member_scores(LeaderboardMetric.AMOUNT_SPENT, period)
            board = BoardKey(BOARD, LeaderboardWindow.ALL_TIME, period.key)
            kept = await LeaderboardStore(client, prefix).snapshot(board)
    finally:
        await client.aclose()
    if counts["open"]:
        problems.append(f"{counts['open']} outbox events never delivered")
    if counts["purchases"] != orders:
        problems.append(f"{counts['purchases']} purchases for {orders} orders")
    if counts["twice"]:
        problems.append(f"{counts['twice']} notifications stored twice")
    on_board = {s.member_id: s.score for s in kept}
    in_database = {m: e.score for m, e in expected.items()}
    if on_board != in_database:
        differ = {
            m for m in on_board.keys() | in_database.keys() if on_board.get(m) != in_database.get(m)
        }
        problems.append(f"the board differs from the database for {len(differ)} members")
    print(
        f"   outbox: {counts['open']} undelivered; notifications {counts['notifications']}, "
        f"stored twice {counts['twice']}; board members {len(on_board)} = database "
        f"{len(in_database)}: {'equal' if on_board == in_database else 'DIFFERENT'}"
    )
    return problems


async def ledger_credits(database: str) -> dict[str, int]:
    """Purchase credits per order id, from the ledger."""
    from tortoise import connections

    from domain.purchases.models import Purchase
    from domain.purchases.services import order_reference

    async with in_process_database(database):
        orders = await Purchase.all().values_list("order_id", flat=True)
        rows = await connections.get("default").execute_query_dict(
            "SELECT reference, count(*) AS credits FROM points_entry "
            "WHERE kind = 'EARN' GROUP BY reference"
        )
    found = {row["reference"]: int(row["credits"]) for row in rows}
    return {order: found.get(order_reference(str(order)), 0) for order in orders}


async def measure_trivial(bases: list[str], bearer: str, concurrency: int) -> tuple[Figures, float]:
    """The trivial query on every API process (with the server CPU it took per request)."""
    workers = [[Connection(b) for b in bases] for _ in range(concurrency)]
    try:
        await baseline(workers, 1, bearer)
        began = server_cpu_seconds()
        figures = await baseline(workers, 4, bearer)
        cpu_ms = (server_cpu_seconds() - began) * 1000 / max(1, figures.requests)
    finally:
        for connections in workers:
            for connection in connections:
                await connection.close()
    return figures, cpu_ms


async def drop_storm(
    bases: list[str],
    tokens: dict[int, str],
    drop_id: int,
    chains: list[list[tuple[int, str | None]]],
    concurrency: int,
) -> tuple[Outcome, float, float]:
    workers = [[Connection(b) for b in bases] for _ in range(concurrency)]
    try:
        began = server_cpu_seconds()
        outcome, seconds = await storm(workers, tokens, drop_id, chains)
        cpu_ms = (server_cpu_seconds() - began) * 1000 / max(1, len(outcome.latencies_ms))
    finally:
        for connections in workers:
            for connection in connections:
                await connection.close()
    return outcome, seconds, cpu_ms


async def gate_state(redis_url: str, prefix: str, drop_id: int) -> tuple[str | None, int]:
    from api.runtime import redis_client

    client = redis_client(redis_url)
    try:
        units = await client.get(f"{prefix}{{drop:{drop_id}}}:gate")
        held = await client.zcard(f"{prefix}{{drop:{drop_id}}}:held")
    finally:
        await client.aclose()
    return units, int(held)


def delivered(database: str) -> int:
    """Outbox events delivered so far."""
    return asyncio.run(outbox_state(database)).delivered


def drained(database: str) -> bool:
    """Whether every outbox event so far is delivered (deliveries raise events of their own)."""
    state = asyncio.run(outbox_state(database))
    return state.delivered == state.total


def cpu(processes: list[subprocess.Popen[bytes]]) -> float:
    """CPU seconds (user + system) used so far by these running processes (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in processes:
        with contextlib.suppress(OSError), open(f"/proc/{process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate` until it holds; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apis", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=800)
    parser.add_argument("--members", type=int, default=1200)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--claims", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--cluster-ports", default="7011 7012 7013")
    parser.add_argument("--pgbouncer-port", type=int, default=6442)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress as it goes
    hammerers = max(1, args.members // 20)
    if args.claims < 3 * (args.members - hammerers) + hammerers:
        parser.error("--claims must allow three per member")

    from api.auth import mint_token
    from api.settings import load_settings

    settings = load_settings(env_file=None)
    service = mint_token(settings, "service", "shop", ttl_seconds=3600)
    prefix = f"replicas{uuid.uuid4().hex[:6]}:"
    problems: list[str] = []
    with (
        services(args.cluster_ports, args.pgbouncer_port) as running,
        postgres_database("fidelio_replicas") as direct,
    ):
        pooled = running.pooled(direct)
        print(
            f"{args.apis} API processes + {args.workers} workers; Redis Cluster "
            f"{running.cluster_nodes}; PgBouncer (transaction mode) {running.pgbouncer}"
        )
        drop_id, member_ids = asyncio.run(prepare(direct, args.members, args.units))
        asyncio.run(prepare_board(direct, running.redis_url, prefix))
        customers = [f"storm-{i:05}" for i in range(args.members)]
        env = {"RUN_BACKGROUND": "false", "REDIS_PREFIX": prefix}
        with contextlib.ExitStack() as stack:
            bases = [
                stack.enter_context(server(pooled, running.redis_url, extra_env=env))
                for _ in range(args.apis)
            ]
            trivial, trivial_cpu = asyncio.run(measure_trivial(bases, service, args.concurrency))
            print(f"   {trivial.row()}  server CPU {trivial_cpu:.2f} ms/request")

            # 1. The same order from every replica at once (workers stopped: a backlog forms).
            orders = [(f"same-{n:05}", customers[n % len(customers)]) for n in range(args.orders)]
            began_cpu = server_cpu_seconds()
            sent, seconds = asyncio.run(
                purchases(bases, service, orders, 2, max(1, args.concurrency // 8))
            )
            same_cpu = (server_cpu_seconds() - began_cpu) * 1000 / max(1, len(sent.latencies_ms))
            figures = Figures(
                f"recordPurchase, each order x{2 * args.apis}", args.concurrency, len(sent.latencies_ms),
                len(sent.failures), seconds, tuple(sent.latencies_ms),
            )  # fmt: skip
            print("1. the same order from every replica at once")
            print(f"   {figures.row(trivial)}  server CPU {same_cpu:.2f} ms/request")
            credits = asyncio.run(ledger_credits(direct))
            twice = [o for o, ids in sent.purchase_ids.items() if len(ids) != 1]
            wrong = {o: c for o, c in credits.items() if o.startswith("same-") and c != 1}
            stored = sum(1 for o in credits if o.startswith("same-"))
            print(
                f"   {args.orders} orders, {len(sent.latencies_ms)} requests: {stored} purchases "
                f"stored, {len(wrong)} orders without exactly one credit, {len(twice)} orders "
                f"answered with two purchase ids, {len(sent.failures)} failed requests"
            )
            if stored != args.orders or wrong or twice or sent.failures:
                problems.append("the same order was not recorded exactly once")

            # 2. A backlog, the workers, one killed with SIGKILL mid-batch.
            backlog = [(f"more-{n:05}", customers[n % len(customers)]) for n in range(args.backlog)]
            began_cpu = server_cpu_seconds()
            more, seconds = asyncio.run(purchases_spread(bases, service, backlog, args.concurrency))
            more_cpu = (server_cpu_seconds() - began_cpu) * 1000 / max(1, len(more.latencies_ms))
            if more.failures:
                problems.append(f"{len(more.failures)} backlog purchases failed")
            figures = Figures(
                "recordPurchase, distinct orders", args.concurrency, len(more.latencies_ms),
                len(more.failures), seconds, tuple(more.latencies_ms),
            )  # fmt: skip
            print("2. a worker killed with SIGKILL mid-batch")
            print(f"   {figures.row(trivial)}  server CPU {more_cpu:.2f} ms/request")
            before = asyncio.run(outbox_state(direct))
            workers = [start_worker(pooled, running.redis_url, prefix) for _ in range(args.workers)]
            try:
                # The workers' pace between 5% and 40% delivered (their start-up left out).
                wait_until(lambda: delivered(direct) > before.total // 20, 300, "a delivery")
                first, first_at, first_cpu = delivered(direct), time.perf_counter(), cpu(workers)
                wait_until(lambda: delivered(direct) > before.total * 2 // 5, 600, "deliveries")
                at_kill = asyncio.run(outbox_state(direct))
                pace = (at_kill.delivered - first) / (time.perf_counter() - first_at)
                cpu_ms = (cpu(workers) - first_cpu) * 1000 / max(1, at_kill.delivered - first)
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait()
                after_kill = asyncio.run(outbox_state(direct))
                workers[0] = start_worker(pooled, running.redis_url, prefix)
                wait_until(lambda: drained(direct), 600, "the outbox to drain")
            finally:
                for worker in workers:
                    stop(worker)
            print(
                f"   outbox {before.total} events; {args.workers} workers delivered {pace:.0f} "
                f"events/s, worker CPU {cpu_ms:.2f} ms per event; one killed at "
                f"{at_kill.delivered} delivered with {at_kill.locked} rows in open batches "
                f"(after the kill: {after_kill.locked} locked, {after_kill.delivered} "
                f"delivered); a replacement started; drained"
            )
            problems += asyncio.run(
                check_effects(direct, running.redis_url, prefix, args.orders + args.backlog)
            )

            # 3. A drop storm across every replica.
            tokens = {
                m: mint_token(settings, "member", f"storm-{i:05}", ttl_seconds=3600)
                for i, m in enumerate(member_ids)
            }
            chains = plan(member_ids, args.claims, hammerers, 7)
            outcome, seconds, storm_cpu = asyncio.run(
                drop_storm(bases, tokens, drop_id, chains, args.concurrency)
            )
        claims = Figures(
            f"claimDrop storm ({args.apis} servers)", args.concurrency, len(outcome.latencies_ms),
            len(outcome.failures), seconds, tuple(outcome.latencies_ms),
        )  # fmt: skip
        print("3. a drop storm across every replica")
        print(f"   {claims.row(trivial)}  server CPU {storm_cpu:.2f} ms/request")
        storm_problems = asyncio.run(verify(direct, drop_id, args.units, outcome))
        units_left, held = asyncio.run(gate_state(running.redis_url, prefix, drop_id))
        print(
            f"   successful claims {len(outcome.claims)}; userErrors "
            f"{dict(sorted(outcome.user_errors.items()))}; gate {units_left} left, {held} held"
        )
        if units_left != "0" or held:
            storm_problems.append(f"the gate ends with {units_left} units left and {held} held")
        problems += storm_problems
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print(
        "OK: each order recorded once whatever replica got it; nothing lost or applied twice "
        "after a worker's SIGKILL; exactly the stock sold across replicas; gate empty"
    )
    return 0


async def purchases_spread(
    bases: list[str], bearer: str, orders: list[tuple[str, str]], concurrency: int
) -> tuple[Sent, float]:
    """Record distinct `orders`, `concurrency` at a time, the API processes taken in turn."""
    sent = Sent()
    queue = list(reversed(orders))

    async def lane(number: int) -> None:
        connection = Connection(bases[number % len(bases)])
        try:
            while queue:
                order_id, customer_id = queue.pop()
                elapsed, failure, _ = await purchase_on(connection, bearer, order_id, customer_id)
                sent.latencies_ms.append(elapsed)
                if failure:
                    sent.failures.append(failure)
        finally:
            await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(lane(n) for n in range(concurrency)))
    return sent, time.perf_counter() - began


async def purchase_on(
    connection: Connection, bearer: str, order_id: str, customer_id: str
) -> tuple[float, str | None, str | None]:
    """One recordPurchase: (milliseconds, the failure or None, the purchase id or None)."""
    variables = {
        "input": {
            "orderId": order_id,
            "customerId": customer_id,
            "amount": str(10 + int(order_id.rsplit("-", 1)[1]) % 90),
            "currency": "EUR",
            "channel": "APP",
        }
    }
    began = time.perf_counter()
    try:
        status, body = await connection.graphql(PURCHASE, variables, bearer)
    except (OSError, ConnectionClosed, asyncio.IncompleteReadError, ValueError) as error:
        return (time.perf_counter() - began) * 1000, f"{type(error).__name__}: {error}", None
    elapsed = (time.perf_counter() - began) * 1000
    payload = (body.get("data") or {}).get("recordPurchase")
    if status != 200 or body.get("errors") or not payload or payload["userErrors"]:
        return elapsed, f"{status} {body}", None
    return elapsed, None, str(payload["purchase"]["id"])


if __name__ == "__main__":
    sys.exit(main())
