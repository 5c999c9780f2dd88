"""The drop storm: thousands of members claiming 100 units in the same second, over HTTP.

    .venv/bin/python -m bench.drops_storm [--members 5000] [--requests 20000] [--units 100]

Two uvicorn server processes share one PostgreSQL database and one Redis (so the rate-limit
counters are shared). A first-come drop with `--units` units opens for `--members` eligible
members, each holding enough points. Then `--requests` claimDrop requests are fired at the two
servers at once (alternately), several per member: a tap with an idempotency key and its retry
with the same key, a second tap without a key, and a few members hammering the button (who
meet RATE_LIMITED). The run then checks, in the responses and in the database:

- exactly `--units` claims succeeded, by as many distinct members, and stock is 0;
- the ledger holds exactly `--units` debits of the price;
- no request failed other than with a typed userError (no HTTP error, no GraphQL error);
- the admission gate in Redis (domain.drops.admission) ends with no unit left and none held;

and prints claim requests per second and latency beside the trivial query `{ __typename }`
measured on the same servers, with the same client and concurrency, in the same run (see
bench/harness.py: ratios travel, absolute figures don't). The load comes from `--concurrency`
keep-alive connections per server through bench/rawhttp.py (httpx's pool, not the server,
would set the pace at this concurrency). Exits non-zero when a check fails.

    .venv/bin/python -m bench.drops_storm --in-process [--profile DIR]

sends claims straight into the ASGI app in this process instead (no server, no sockets of
HTTP) and prints, per request, the CPU milliseconds, Python calls (cProfile's count, steady on
a busy machine), SQL statements and Redis commands of each kind of answer beside the trivial
query: a claim that wins a unit, a second claim of a winner while units are left
(ALREADY_CLAIMED), a claim after the sellout with and without an idempotency key
(OUT_OF_STOCK from the gate), and a claim refused by the rate limit. `--profile DIR` keeps
each case's cProfile statistics in DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import (
    REDIS_URL,
    TRIVIAL,
    Figures,
    Statements,
    in_process_database,
    postgres_database,
    server,
)
from bench.rawhttp import Connection, ConnectionClosed

CLAIM = """
mutation ClaimDrop($input: ClaimDropInput!) {
  claimDrop(input: $input) {
    claim { id status couponCode }
    userErrors { code field message }
  }
}"""
TYPED = {"OUT_OF_STOCK", "ALREADY_CLAIMED", "RATE_LIMITED", "NOT_OPEN", "INSUFFICIENT_POINTS"}
PRICE = 100


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    #: claim id -> member ids that received it (a replay returns the same claim again)
    claims: dict[str, set[int]] = field(default_factory=dict)
    user_errors: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


Request = tuple[int, str | None]
"""(member id, idempotency key)"""
Chain = list[Request]
"""Requests sent one after the other (a retry follows its first try)."""


def plan(member_ids: list[int], total: int, hammerers: int, seed: int) -> list[Chain]:
    """The storm's chains in the order they start. Most members tap twice at once (one tap
    with a key, retried with the same key once answered, and one tap without a key);
    `hammerers` members share what is left of `total` as single taps fired in one burst.
    Members come in a shuffled order, each member's chains together."""
    rng = random.Random(seed)
    bursts: list[list[Chain]] = []
    calm, loud = member_ids[hammerers:], member_ids[:hammerers]
    for member_id in calm:
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        bursts.append([[(member_id, key), (member_id, key)], [(member_id, None)]])
    left = total - 3 * len(calm)
    for index, member_id in enumerate(loud):
        share = left // len(loud) + (1 if index < left % len(loud) else 0)
        bursts.append([[(member_id, None)] for _ in range(share)])
    rng.shuffle(bursts)
    return [chain for burst in bursts for chain in burst]


Workers = list[list[Connection]]
"""One keep-alive connection to every server per worker, opened once for the whole run."""


async def closed_loop(
    workers: Workers, work: Callable[[Connection, int], Awaitable[None]]
) -> float:
    """Each worker calls `work(connection, n)` for request numbers n = 0, 1, ... (servers
    taken in turn) until `work` raises StopAsyncIteration. Returns the seconds taken."""
    counter = 0

    async def worker(connections: list[Connection]) -> None:
        nonlocal counter
        while True:
            number = counter
            counter += 1
            try:
                await work(connections[number % len(connections)], number)
            except StopAsyncIteration:
                return

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in workers))
    return time.perf_counter() - began


async def baseline(workers: Workers, seconds: float, bearer: str) -> Figures:
    """The trivial query on the same servers with the same client and concurrency."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def work(connection: Connection, number: int) -> None:
        nonlocal errors
        if time.perf_counter() >= stop_at:
            raise StopAsyncIteration
        started = time.perf_counter()
        try:
            status, body = await connection.graphql(TRIVIAL, {}, bearer)
            if status != 200 or body.get("errors"):
                errors += 1
        except (OSError, ConnectionClosed, asyncio.IncompleteReadError, ValueError):
            errors += 1
        latencies.append((time.perf_counter() - started) * 1000)

    elapsed = await closed_loop(workers, work)
    return Figures(
        "baseline { __typename }", len(workers), len(latencies), errors, elapsed, tuple(latencies)
    )


async def storm(
    workers: Workers, tokens: dict[int, str], drop_id: int, chains: list[Chain]
) -> tuple[Outcome, float]:
    outcome = Outcome()
    queue = deque(chains)

    async def send(connection: Connection, member_id: int, key: str | None) -> None:
        variables = {"input": {"dropId": str(drop_id), "idempotencyKey": key}}
        started = time.perf_counter()
        try:
            status, body = await connection.graphql(CLAIM, variables, tokens[member_id])
        except (OSError, ConnectionClosed, asyncio.IncompleteReadError, ValueError) as exc:
            outcome.failures.append(f"{type(exc).__name__}: {exc}")
            return
        finally:
            outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status != 200 or body.get("errors"):
            outcome.failures.append(f"{status} {body.get('errors')}")
            return
        payload = body["data"]["claimDrop"]
        if payload["claim"] is not None:
            outcome.claims.setdefault(payload["claim"]["id"], set()).add(member_id)
        for error in payload["userErrors"]:
            outcome.user_errors[error["code"]] += 1

    async def work(connection: Connection, number: int) -> None:
        if not queue:
            raise StopAsyncIteration
        for member_id, key in queue.popleft():
            await send(connection, member_id, key)

    return outcome, await closed_loop(workers, work)


def server_cpu_seconds() -> float:
    """CPU time (user + system) used so far by this process's uvicorn children: the servers'
    own work, whatever else shares the machine (a busy machine stretches the wall clock, not
    this)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"uvicorn" in command:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Measured:
    trivial: Figures
    outcome: Outcome
    seconds: float
    #: Server CPU milliseconds per request (both servers), for the trivial query and the storm.
    trivial_cpu_ms: float
    storm_cpu_ms: float


async def measure_both(
    bases: list[str], concurrency: int, tokens: dict[int, str], drop_id: int, chains: list[Chain]
) -> Measured:
    """Warm up, measure the trivial query, then the storm, on the same open connections."""
    workers = [[Connection(b) for b in bases] for _ in range(concurrency)]
    bearer = next(iter(tokens.values()))
    try:
        await baseline(workers, 1, bearer)
        began = server_cpu_seconds()
        trivial = await baseline(workers, 5, bearer)
        between = server_cpu_seconds()
        outcome, seconds = await storm(workers, tokens, drop_id, chains)
        ended = server_cpu_seconds()
    finally:
        for connections in workers:
            for connection in connections:
                await connection.close()
    return Measured(
        trivial,
        outcome,
        seconds,
        (between - began) * 1000 / max(1, trivial.requests),
        (ended - between) * 1000 / max(1, len(outcome.latencies_ms)),
    )


async def prepare(database: str, members: int, units: int) -> tuple[int, list[int]]:
    """The drop (open now, for every member) and `members` members with enough points.

    No tier condition: the tiers job, running in the servers, would rightly demote members
    who never bought anything. The tier review's first run, which walks every member once in
    a database's life, is made here, as it was long before a production drop opens: the
    servers' review then reads only the members whose points moved (none: a drop's debit does
    not qualify)."""
    from domain.drops.definition import DropInput, upsert_drop
    from domain.members.models import Member
    from domain.points.models import EntryKind, PointsEntry
    from domain.tiers.review import review_changes

    now = datetime.now(UTC)
    async with in_process_database(database):
        drop = await upsert_drop(
            DropInput(
                code="STORM",
                title="Storm sneaker",
                description="100 pairs for thousands of fans.",
                opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=2),
                quantity=units,
                price_points=PRICE,
            ),
            now,
        )
        await Member.bulk_create(
            [
                Member(
                    customer_id=f"storm-{i:05}",
                    referral_code=f"S{i:07}",
                    joined_at=now,
                )
                for i in range(members)
            ],
            batch_size=1000,
        )
        ids = list(
            await Member.filter(customer_id__startswith="storm-").values_list("id", flat=True)
        )
        await PointsEntry.bulk_create(
            [
                PointsEntry(
                    member_id=i,
                    kind=EntryKind.EARN,
                    delta=PRICE * 3,
                    remaining=PRICE * 3,
                    description="bench",
                    created_at=now - timedelta(days=1),
                    available_at=now - timedelta(days=1),
                )
                for i in ids
            ],
            batch_size=1000,
        )
        await review_changes(now)
    return drop.id, sorted(ids)


async def verify(database: str, drop_id: int, units: int, outcome: Outcome) -> list[str]:
    from domain.drops.models import Drop, DropClaim
    from domain.points.models import EntryKind, PointsEntry

    problems = []
    async with in_process_database(database):
        drop = await Drop.get(id=drop_id)
        claims = await DropClaim.filter(drop_id=drop_id).values_list("id", "member_id")
        debits = await PointsEntry.filter(kind=EntryKind.REDEEM).values_list("member_id", "delta")
    if len(claims) != units or len({m for _, m in claims}) != units:
        problems.append(f"{len(claims)} claims stored by {len({m for _, m in claims})} members")
    if drop.remaining != 0:
        problems.append(f"stock ends at {drop.remaining}")
    if len(debits) != units or sum(d for _, d in debits) != -units * PRICE:
        problems.append(f"{len(debits)} debits totalling {sum(d for _, d in debits)}")
    if {m for m, _ in debits} != {m for _, m in claims}:
        problems.append("debited members differ from claiming members")
    answered = {int(c) for c in outcome.claims}
    if answered != {c for c, _ in claims}:
        problems.append(f"{len(answered)} distinct claims answered, {len(claims)} stored")
    if any(len(members) != 1 for members in outcome.claims.values()):
        problems.append("a claim was answered to two members")
    if outcome.failures:
        problems.append(f"{len(outcome.failures)} requests failed, e.g. {outcome.failures[0]}")
    untyped = set(outcome.user_errors) - TYPED
    if untyped:
        problems.append(f"unexpected userErrors {untyped}")
    return problems


async def gate_state(prefix: str, drop_id: int) -> tuple[str | None, int]:
    """The drop's gate count and holds in Redis after the run; then this run's keys go."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        units = await client.get(f"{prefix}{{drop:{drop_id}}}:gate")
        held = await client.zcard(f"{prefix}{{drop:{drop_id}}}:held")
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
    return units, int(held)


def in_process(requests: int = 400, profile_dir: str | None = None) -> None:
    """Per request of each kind of answer, in this process: CPU, Python calls (cProfile's
    count), SQL statements and Redis commands, each in its own run of the same requests (so
    that counting statements or commands adds no calls). With `profile_dir`, each case's
    cProfile statistics are dumped there (`<case>.pstats`)."""
    import cProfile
    import pstats

    import redis.asyncio as aioredis

    from api.app import create_app
    from api.auth import mint_token
    from api.settings import Settings, load_settings
    from bench.harness import asgi_post
    from domain.drops.definition import DropInput, upsert_drop

    limit = 10
    profiled = counted_runs = requests // 4
    # Each case sends 50 warm-ups, one checked answer, `requests` timed, then `profiled`
    # and `counted_runs` more. The sold-out crowd comes in turn, each member at most
    # `limit - 2` claims in all; every win is a member of its own (who then claims again:
    # ALREADY_CLAIMED, while units are left).
    per_case = 51 + requests + profiled + counted_runs
    crowd = 2 * per_case // (limit - 2) + 20
    members = 1 + crowd + per_case
    commands = 0
    original: Callable[..., Awaitable[Any]] = aioredis.Redis.execute_command

    async def counted(self: aioredis.Redis, *args: Any, **options: Any) -> Any:
        nonlocal commands
        commands += 1
        return await original(self, *args, **options)

    with postgres_database("fidelio_storm") as database:
        drop_id, member_ids = asyncio.run(prepare(database, members, 5))

        async def open_drop() -> int:
            now = datetime.now(UTC)
            async with in_process_database(database):
                drop = await upsert_drop(
                    DropInput(
                        code="PLENTY",
                        title="Plenty of socks",
                        description="Enough for every member.",
                        opens_at=now - timedelta(minutes=1),
                        closes_at=now + timedelta(hours=2),
                        quantity=per_case + 10,
                        price_points=PRICE,
                    ),
                    now,
                )
            return drop.id

        plenty_id = asyncio.run(open_drop())
        minted = load_settings(env_file=None)
        tokens = [
            mint_token(minted, "member", f"storm-{i:05}", ttl_seconds=3600)
            for i in range(len(member_ids))
        ]
        winners = tokens[1 + crowd :]

        async def run() -> None:
            nonlocal commands
            settings = Settings(
                database_url=database,
                redis_url=REDIS_URL,
                redis_prefix=f"stormip{uuid.uuid4().hex[:6]}:",
                run_background=False,
                drop_claim_rate_limit=limit,
                # The hammerer stays limited however long a profiled run takes.
                drop_claim_rate_window_seconds=3600,
            )
            app = create_app(settings)
            turn = won = again = 0

            def claim(drop: int, bearer: str, keyed: bool = False) -> tuple[dict[str, Any], str]:
                key = uuid.uuid4().hex if keyed else None
                variables = {"input": {"dropId": str(drop), "idempotencyKey": key}}
                return {"query": CLAIM, "variables": variables}, bearer

            def sold_out(keyed: bool) -> tuple[dict[str, Any], str]:
                nonlocal turn
                turn += 1
                # Members in turn, each at most `limit - 2` times: never rate limited.
                return claim(drop_id, tokens[turn % crowd + 1], keyed)

            def win() -> tuple[dict[str, Any], str]:
                nonlocal won
                won += 1
                return claim(plenty_id, winners[won - 1])

            def claim_again() -> tuple[dict[str, Any], str]:
                nonlocal again
                again += 1
                return claim(plenty_id, winners[(again - 1) % won])

            hammerer = tokens[0]
            #: name -> (next request, the userError codes every answer has, None: no claim)
            cases: dict[str, tuple[Callable[[], tuple[dict[str, Any], str]], list[str] | None]] = {
                "trivial": (lambda: ({"query": TRIVIAL}, hammerer), None),
                "claim, won": (win, []),
                "claim, already claimed": (claim_again, ["ALREADY_CLAIMED"]),
                "claim, sold out, key": (lambda: sold_out(True), ["OUT_OF_STOCK"]),
                "claim, sold out": (lambda: sold_out(False), ["OUT_OF_STOCK"]),
                "claim, rate limited": (
                    lambda: claim(drop_id, hammerer),
                    ["RATE_LIMITED"],
                ),
            }

            def check(name: str, answers: list[dict[str, Any]], codes: list[str] | None) -> None:
                for answer in answers:
                    assert not answer.get("errors"), (name, answer)
                    if codes is None:
                        continue
                    payload = answer["data"]["claimDrop"]
                    assert [e["code"] for e in payload["userErrors"]] == codes, (name, answer)
                    assert (payload["claim"] is not None) == (codes == []), (name, answer)

            logger = logging.getLogger("tortoise.db_client")
            async with app.router.lifespan_context(app):
                for i in range(1, 8):  # the stock goes
                    await asgi_post(app, *claim(drop_id, tokens[i]))
                print(f"{'per request':24} {'CPU ms':>7} {'calls':>6} {'SQL':>4} {'Redis':>5}")
                base = 0.0
                for name, (make, codes) in cases.items():
                    for _ in range(50):
                        await asgi_post(app, *make())
                    check(name, [await asgi_post(app, *make())], codes)
                    sent = [make() for _ in range(requests)]
                    began = time.process_time()
                    answers = [await asgi_post(app, payload, bearer) for payload, bearer in sent]
                    cpu = (time.process_time() - began) * 1000 / requests
                    check(name, answers, codes)

                    profile = cProfile.Profile()
                    sent = [make() for _ in range(profiled)]
                    profile.enable()
                    answers = [await asgi_post(app, payload, bearer) for payload, bearer in sent]
                    profile.disable()
                    check(name, answers, codes)
                    if profile_dir:
                        os.makedirs(profile_dir, exist_ok=True)
                        stem = name.replace(", ", "-").replace(" ", "_")
                        profile.dump_stats(os.path.join(profile_dir, f"{stem}.pstats"))
                    calls = pstats.Stats(profile).total_calls / profiled  # type: ignore[attr-defined]  # untyped in typeshed

                    counter, commands = Statements(), 0
                    sent = [make() for _ in range(counted_runs)]
                    logger.setLevel(logging.DEBUG)
                    logger.addHandler(counter)
                    aioredis.Redis.execute_command = counted  # type: ignore[method-assign]  # a counter
                    try:
                        answers = [
                            await asgi_post(app, payload, bearer) for payload, bearer in sent
                        ]
                    finally:
                        aioredis.Redis.execute_command = original  # type: ignore[method-assign]  # restored
                        logger.removeHandler(counter)
                        logger.setLevel(logging.INFO)
                    check(name, answers, codes)
                    base = base or cpu
                    print(
                        f"{name:24} {cpu:7.3f} {calls:6.0f} {counter.count / counted_runs:4.1f} "
                        f"{commands / counted_runs:5.1f}  ({base / cpu:.0%} of trivial)"
                    )

        asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--hammerers", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--in-process", action="store_true", help="per request, in process")
    parser.add_argument(
        "--profile", metavar="DIR", help="with --in-process: each case's cProfile stats in DIR"
    )
    parser.add_argument(
        "--no-jobs",
        action="store_true",
        help="servers without their scheduled jobs (the drop's announcement included): the "
        "difference with a default run is the jobs' share",
    )
    args = parser.parse_args()
    if args.in_process:
        in_process(profile_dir=args.profile)
        return 0
    if args.requests < 3 * (args.members - args.hammerers) + args.hammerers:
        parser.error("--requests must allow three per calm member and one per hammerer")

    from api.auth import mint_token
    from api.settings import load_settings

    settings = load_settings(env_file=None)
    shared = {"REDIS_PREFIX": f"storm{uuid.uuid4().hex[:6]}:"}
    if args.no_jobs:
        shared["RUN_BACKGROUND"] = "false"
    with postgres_database("fidelio_storm") as database:
        drop_id, member_ids = asyncio.run(prepare(database, args.members, args.units))
        tokens = {
            m: mint_token(settings, "member", f"storm-{i:05}", ttl_seconds=3600)
            for i, m in enumerate(member_ids)
        }
        chains = plan(member_ids, args.requests, args.hammerers, args.seed)
        pooled = f"{database}?minsize=2&maxsize=20"
        with server(pooled, extra_env=shared) as first, server(pooled, extra_env=shared) as second:
            measured = asyncio.run(
                measure_both([first, second], args.concurrency, tokens, drop_id, chains)
            )
        trivial, outcome, seconds = measured.trivial, measured.outcome, measured.seconds
        problems = asyncio.run(verify(database, drop_id, args.units, outcome))
        units_left, held = asyncio.run(gate_state(shared["REDIS_PREFIX"], drop_id))
    if units_left != "0" or held:
        problems.append(f"the gate ends with {units_left} units left and {held} held")

    requests = len(outcome.latencies_ms)
    claims = Figures(
        "claimDrop storm (2 servers)",
        args.concurrency,
        requests,
        len(outcome.failures),
        seconds,
        tuple(outcome.latencies_ms),
    )
    print(
        f"{args.members} members, {requests} claim requests, {args.units} units, "
        f"2 server processes{' without scheduled jobs' if args.no_jobs else ''}, "
        "PostgreSQL + Redis"
    )
    print(trivial.row())
    print(claims.row(trivial))
    print(
        f"server CPU per request (both servers, /proc, background jobs included): trivial "
        f"{measured.trivial_cpu_ms:.2f} ms, claim {measured.storm_cpu_ms:.2f} ms "
        f"(ratio by CPU {measured.trivial_cpu_ms / measured.storm_cpu_ms:.1%})"
    )
    print(
        f"successful claims: {len(outcome.claims)} (distinct members "
        f"{len(set().union(*outcome.claims.values())) if outcome.claims else 0}); "
        f"userErrors: {dict(sorted(outcome.user_errors.items()))}"
    )
    print(f"admission gate at the end: {units_left} units left, {held} held")
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print(
        "OK: exactly one unit per winner, stock 0, ledger debits match, only typed userErrors, "
        "gate empty"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
