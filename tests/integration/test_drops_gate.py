"""The admission gate of first-come drops (domain.drops.admission, api.drop_gate).

The gate is a counter in Redis in front of the database's guarded decrement: claims past the
stock are refused without a transaction, the database stays the authority, and the counter is
rebuilt from the database whenever it is missing, empty while units came back, or unreachable.
The storms run on PostgreSQL (claims really interleave under row locks); the rest on both
databases, on fakeredis or a real Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from datetime import datetime, timedelta
from typing import Any

import fakeredis
import pytest
import redis.asyncio as aioredis

from api.drop_gate import RedisUnitCounter
from api.ratelimit import Limit, RateLimiter
from api.runtime import redis_client
from bench.harness import free_port
from domain.drops.admission import Attempts, DropAdmission
from domain.drops.claims import claim_drop
from domain.drops.definition import upsert_drop
from domain.drops.jobs import release_expired_reservations
from domain.drops.models import Drop, DropClaim
from domain.errors import DomainError, RateLimited
from domain.members.models import Member
from domain.points.models import EntryKind, PointsEntry
from tests.integration.drops_support import (
    OPENS,
    balance,
    drop_input,
    make_drop,
    make_member,
    make_members,
    snapshot,
)
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

AT = OPENS + timedelta(seconds=1)
PRICE = 250
RESERVATION = timedelta(minutes=30)


class Ticks:
    """A monotonic clock the test moves (the gate's refill pace and terms' age)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def counter(redis_client: aioredis.Redis, redis_prefix: str) -> RedisUnitCounter:
    return RedisUnitCounter(redis_client, redis_prefix)


@pytest.fixture
def admission(counter: RedisUnitCounter, ticks: Ticks) -> DropAdmission:
    return DropAdmission(counter, clock=ticks)


async def gate_count(redis: aioredis.Redis, counter: RedisUnitCounter, drop_id: int) -> int | None:
    value = await redis.get(counter.key(drop_id))
    return None if value is None else int(value)


async def attempt(
    member: Member,
    drop_id: int,
    admission: DropAdmission,
    key: str | None = None,
    at: datetime = AT,
) -> int | str:
    """The claim id on success, else the error code."""
    try:
        result = await claim_drop(member, drop_id, at, idempotency_key=key, admission=admission)
    except DomainError as exc:
        return exc.code
    return result.claim.id


async def assert_exactly_sold(drop_id: int, units: int, outcomes: list[int | str]) -> None:
    claims = await DropClaim.filter(drop_id=drop_id)
    assert len(claims) == units
    assert len({c.member_id for c in claims}) == units
    assert {o for o in outcomes if isinstance(o, int)} == {c.id for c in claims}
    assert (await Drop.get(id=drop_id)).remaining == 0
    debits = await PointsEntry.filter(kind=EntryKind.REDEEM).values_list("member_id", "delta")
    assert len(debits) == units and sum(d for _, d in debits) == -units * PRICE
    assert {m for m, _ in debits} == {c.member_id for c in claims}


Claim = Coroutine[Any, Any, int | str]


def storm_calls(members: list[Member], drop_id: int, admission: DropAdmission) -> list[Claim]:
    """Each member taps with a key, retries with it, and taps once more without a key."""
    calls: list[Claim] = []
    for i, member in enumerate(members):
        calls += [
            attempt(member, drop_id, admission, f"k{i}"),
            attempt(member, drop_id, admission, f"k{i}"),
            attempt(member, drop_id, admission),
        ]
    random.Random(7).shuffle(calls)
    return calls


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_storm_through_the_gate_sells_exactly_the_stock_and_then_refuses_without_sql(
    ticks: Ticks,
    counter: RedisUnitCounter,
    redis_client: aioredis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    drop = await make_drop(quantity=100, price_points=PRICE)
    members = await make_members("gate", 400, 1000)
    # 1,200 claims through one process's five connections: on a loaded machine the last
    # units stay held for longer than the default 10 s of waiting, and a claim that stops
    # waiting is answered OUT_OF_STOCK for a unit that comes back once no one is left to ask.
    admission = DropAdmission(counter, clock=ticks, wait_at_most=120.0)

    with (
        caplog.at_level(logging.WARNING, logger="fidelio.drops.admission"),
        counting_statements() as statements,
    ):
        outcomes = await asyncio.gather(*storm_calls(members, drop.id, admission))

    assert caplog.records == []  # the gate answered every claim
    # Only claims let through open a transaction (each locks its member first): the hundred
    # winners and the other taps of a member that came while units were left, not 1,200.
    locks = [sql for sql in statements.sql if "FOR UPDATE" in sql]
    assert 100 <= len(locks) <= 300, len(locks)

    errors = Counter(o for o in outcomes if isinstance(o, str))
    assert set(errors) <= {"OUT_OF_STOCK", "ALREADY_CLAIMED"}, errors
    await assert_exactly_sold(drop.id, 100, outcomes)
    assert await gate_count(redis_client, counter, drop.id) == 0
    # Past the stock, a claim is one Redis call: no statement at all.
    late = members[-1]
    with counting_statements() as statements:
        assert await attempt(late, drop.id, admission) == "OUT_OF_STOCK"
    assert len(statements) == 0, statements.sql


@pytest.mark.postgres
async def test_with_redis_stopped_mid_storm_claims_go_on_through_the_database_alone(
    ticks: Ticks, caplog: pytest.LogCaptureFixture
) -> None:
    drop = await make_drop(quantity=100, price_points=PRICE)
    members = await make_members("down", 400, 1000)
    with own_redis_server() as url:
        client = redis_client(url)
        admission = DropAdmission(RedisUnitCounter(client, "down:"), clock=ticks)
        try:
            first = await asyncio.gather(*storm_calls(members[:40], drop.id, admission))
            assert await client.get(f"down:{{drop:{drop.id}}}:gate") is not None
            before = await DropClaim.filter(drop_id=drop.id).count()
            assert 0 < before < 100
            # Stopped between two waves, and while the second wave runs.
            stopping = asyncio.create_task(asyncio.to_thread(stop_redis_server, url))
            with caplog.at_level(logging.WARNING, logger="fidelio.drops.admission"):
                rest = await asyncio.gather(*storm_calls(members[40:], drop.id, admission))
                await stopping
        finally:
            await client.aclose()
    outcomes = first + rest
    errors = Counter(o for o in outcomes if isinstance(o, str))
    assert set(errors) <= {"OUT_OF_STOCK", "ALREADY_CLAIMED"}, errors
    await assert_exactly_sold(drop.id, 100, outcomes)
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not per claim


async def test_a_claim_past_the_stock_is_answered_in_the_members_language(
    admission: DropAdmission,
) -> None:
    drop = await make_drop(quantity=1, price_points=PRICE)
    winner = await make_member("winner", 1000)
    late = await make_member("tarde", 1000, locale="es-ES")
    assert isinstance(await attempt(winner, drop.id, admission), int)
    before = await snapshot(drop)
    with pytest.raises(DomainError) as refused:
        await claim_drop(late, drop.id, AT, admission=admission)
    assert refused.value.code == "OUT_OF_STOCK"
    assert str(refused.value) == "Este lanzamiento está agotado."
    assert await snapshot(drop) == before
    assert await balance(late) == 1000


async def test_a_claim_admitted_then_refused_for_points_or_limit_gives_its_unit_back(
    admission: DropAdmission, counter: RedisUnitCounter, redis_client: aioredis.Redis
) -> None:
    drop = await make_drop(quantity=2, price_points=PRICE)
    poor = await make_member("poor", 100)
    first = await make_member("first", 1000)
    second = await make_member("second", 1000)

    assert await attempt(poor, drop.id, admission) == "INSUFFICIENT_POINTS"
    assert await gate_count(redis_client, counter, drop.id) == 2
    assert isinstance(await attempt(first, drop.id, admission), int)
    assert await attempt(first, drop.id, admission) == "ALREADY_CLAIMED"
    assert await gate_count(redis_client, counter, drop.id) == 1
    assert isinstance(await attempt(second, drop.id, admission), int)
    assert await gate_count(redis_client, counter, drop.id) == 0
    assert (await Drop.get(id=drop.id)).remaining == 0
    assert await attempt(poor, drop.id, admission) == "OUT_OF_STOCK"


async def test_the_gate_counts_the_rate_limit_in_its_own_step_with_the_limiters_count(
    admission: DropAdmission,
    counter: RedisUnitCounter,
    redis_client: aioredis.Redis,
    redis_prefix: str,
) -> None:
    drop = await make_drop(quantity=3, price_points=PRICE)
    ana = await make_member("ana", 1000)
    limiter = RateLimiter(redis_client, redis_prefix)
    limit = Limit(2, 10)
    moment = AT.timestamp()
    assert await limiter.hit("claimDrop", "ana", limit, moment) == 1  # e.g. a malformed id

    def attempts() -> Attempts:
        found = limiter.attempts("claimDrop", "ana", limit, moment)
        assert found is not None
        return found

    claimed = await claim_drop(ana, drop.id, AT, admission=admission, attempts=attempts())
    assert claimed.claim.id and await gate_count(redis_client, counter, drop.id) == 2
    with pytest.raises(RateLimited) as refused:
        await claim_drop(ana, drop.id, AT, admission=admission, attempts=attempts())
    assert refused.value.message.startswith("Too many attempts: try again in ")
    # Refused before any unit was taken, and counted with the limiter's own count.
    assert await gate_count(redis_client, counter, drop.id) == 2
    with pytest.raises(RateLimited):
        await limiter.hit("claimDrop", "ana", limit, moment)
    assert await limiter.hit("claimDrop", "ana", limit, moment + 10) == 1


async def test_a_claim_that_does_not_reach_the_gate_is_counted_on_its_own(
    admission: DropAdmission, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    drop = await make_drop(quantity=3, price_points=PRICE)
    ana = await make_member("ana", 1000)
    limiter = RateLimiter(redis_client, redis_prefix)
    limit = Limit(1, 10)
    early = OPENS - timedelta(minutes=5)
    codes = []
    for _ in range(2):
        try:
            await claim_drop(
                ana,
                drop.id,
                early,
                admission=admission,
                attempts=limiter.attempts("claimDrop", "ana", limit, early.timestamp()),
            )
        except DomainError as error:
            codes.append(error.code)
    assert codes == ["NOT_OPEN", "RATE_LIMITED"]


async def test_a_replay_after_the_sellout_returns_the_first_claim(
    admission: DropAdmission, counter: RedisUnitCounter, redis_client: aioredis.Redis
) -> None:
    drop = await make_drop(quantity=2, price_points=PRICE)
    keen = await make_member("keen", 1000)
    other = await make_member("other", 1000)
    first = await claim_drop(keen, drop.id, AT, idempotency_key="tap-1", admission=admission)
    assert isinstance(await attempt(other, drop.id, admission), int)
    assert await gate_count(redis_client, counter, drop.id) == 0

    again = await claim_drop(keen, drop.id, AT, idempotency_key="tap-1", admission=admission)

    assert again.replayed and again.claim.id == first.claim.id
    assert again.claim.coupon_code == first.claim.coupon_code
    assert await attempt(keen, drop.id, admission, "tap-2") == "OUT_OF_STOCK"
    # A replay after the drop closed too.
    closed = OPENS + timedelta(hours=3)
    replay = await claim_drop(keen, drop.id, closed, idempotency_key="tap-1", admission=admission)
    assert replay.claim.id == first.claim.id
    assert await gate_count(redis_client, counter, drop.id) == 0
    assert await balance(keen) == 1000 - PRICE


async def test_a_replay_while_units_remain_gives_the_unit_it_was_admitted_with_back(
    admission: DropAdmission, counter: RedisUnitCounter, redis_client: aioredis.Redis
) -> None:
    drop = await make_drop(quantity=3, price_points=PRICE)
    keen = await make_member("keen", 1000)
    first = await claim_drop(keen, drop.id, AT, idempotency_key="tap", admission=admission)
    again = await claim_drop(keen, drop.id, AT, idempotency_key="tap", admission=admission)
    assert again.replayed and again.claim.id == first.claim.id
    assert await gate_count(redis_client, counter, drop.id) == 2
    assert (await Drop.get(id=drop.id)).remaining == 2


async def test_the_gate_is_refilled_from_the_database_after_a_lapsed_reservation_goes_back(
    admission: DropAdmission, counter: RedisUnitCounter, redis_client: aioredis.Redis, ticks: Ticks
) -> None:
    drop = await make_drop(quantity=1, price_points=PRICE)
    lapsing = await make_member("lapsing", 1000)
    waiting = await make_member("waiting", 1000)
    assert isinstance(await attempt(lapsing, drop.id, admission), int)
    assert await attempt(waiting, drop.id, admission) == "OUT_OF_STOCK"

    later = AT + RESERVATION + timedelta(minutes=1)
    assert await release_expired_reservations(later) == 1
    assert (await Drop.get(id=drop.id)).remaining == 1
    assert await gate_count(redis_client, counter, drop.id) == 0
    # The database was asked less than `refill_every` ago: the gate still says sold out.
    assert await attempt(waiting, drop.id, admission, at=later) == "OUT_OF_STOCK"
    ticks.now += admission.refill_every

    claimed = await attempt(waiting, drop.id, admission, at=later)

    assert isinstance(claimed, int)
    assert (await Drop.get(id=drop.id)).remaining == 0
    assert await gate_count(redis_client, counter, drop.id) == 0


async def test_the_gate_is_refilled_when_an_admin_raises_the_quantity(
    admission: DropAdmission, ticks: Ticks
) -> None:
    drop = await make_drop(quantity=1, price_points=PRICE)
    members = [await make_member(f"fan{i}", 1000) for i in range(4)]
    assert isinstance(await attempt(members[0], drop.id, admission), int)
    assert await attempt(members[1], drop.id, admission) == "OUT_OF_STOCK"
    await upsert_drop(drop_input(quantity=3), AT)
    ticks.now += max(admission.refill_every, admission.terms_max_age) + 0.1

    outcomes = [await attempt(m, drop.id, admission) for m in members[1:]]

    assert [isinstance(o, int) for o in outcomes] == [True, True, False]
    assert outcomes[2] == "OUT_OF_STOCK"
    assert (await Drop.get(id=drop.id)).remaining == 0


async def test_a_lost_gate_count_is_seeded_again_from_the_database(
    admission: DropAdmission, counter: RedisUnitCounter, redis_client: aioredis.Redis
) -> None:
    drop = await make_drop(quantity=3, price_points=PRICE)
    members = [await make_member(f"fan{i}", 1000) for i in range(4)]
    assert isinstance(await attempt(members[0], drop.id, admission), int)
    await redis_client.delete(counter.key(drop.id))  # Redis restarted empty

    outcomes = [await attempt(m, drop.id, admission) for m in members[1:]]

    assert [isinstance(o, int) for o in outcomes] == [True, True, False]
    assert await gate_count(redis_client, counter, drop.id) == 0
    assert (await Drop.get(id=drop.id)).remaining == 0


async def test_the_gates_scripts_are_loaded_again_when_redis_forgot_them(
    ticks: Ticks,
) -> None:
    """The take is sent by its SHA alone; a server that lost its scripts (a restart, SCRIPT
    FLUSH) gets them again, for the plain take and the take that counts the attempt. On a
    Redis of its own: flushing the shared server's scripts would touch other clients."""
    redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    counter = RedisUnitCounter(redis, "forgot:")
    admission = DropAdmission(counter, clock=ticks)
    drop = await make_drop(quantity=3, price_points=PRICE)
    ana, bea = await make_member("ana", 1000), await make_member("bea", 1000)
    limiter = RateLimiter(redis, "forgot:")
    assert isinstance(await attempt(ana, drop.id, admission), int)
    await redis.script_flush()
    assert isinstance(await attempt(bea, drop.id, admission), int)
    await redis.script_flush()
    attempts = limiter.attempts("claimDrop", "ana", Limit(5, 10), AT.timestamp())
    with pytest.raises(DomainError) as refused:
        await claim_drop(ana, drop.id, AT, admission=admission, attempts=attempts)
    assert refused.value.code == "ALREADY_CLAIMED"
    assert await gate_count(redis, counter, drop.id) == 1
    assert await redis.get(attempts.key) == "1"


async def test_the_attempts_limit_of_each_caller_is_the_one_it_carries(
    admission: DropAdmission, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    """The script that counts the attempt and takes the unit has the limit written in: two
    limits through one gate each refuse at their own count."""
    drop = await make_drop(quantity=10, price_points=PRICE)
    ana, bea = await make_member("ana", 1000), await make_member("bea", 1000)
    limiter = RateLimiter(redis_client, redis_prefix)

    async def codes(member: Member, limit: Limit, tries: int) -> list[str]:
        found = []
        for _ in range(tries):
            attempts = limiter.attempts("claimDrop", member.customer_id, limit, AT.timestamp())
            try:
                await claim_drop(member, drop.id, AT, admission=admission, attempts=attempts)
                found.append("OK")
            except DomainError as error:
                found.append(error.code)
        return found

    assert await codes(ana, Limit(1, 10), 2) == ["OK", "RATE_LIMITED"]
    assert await codes(bea, Limit(3, 10), 4) == [
        "OK",
        "ALREADY_CLAIMED",
        "ALREADY_CLAIMED",
        "RATE_LIMITED",
    ]


# ---------------------------------------------------------------- a Redis server of our own


@contextlib.contextmanager
def own_redis_server() -> Iterator[str]:
    """redis-server on a free loopback port, keeping nothing on disk; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    _servers[url] = process
    try:
        deadline = time.monotonic() + 10
        while not _answers(port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield url
    finally:
        _servers.pop(url, None)
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)


_servers: dict[str, subprocess.Popen[bytes]] = {}


def stop_redis_server(url: str) -> None:
    """Stop the server started by `own_redis_server` (by its own process), and wait."""
    time.sleep(0.01)
    process = _servers[url]
    process.terminate()
    process.wait(timeout=10)


def _answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
