"""What one database statement costs this process, by the way it is sent (PostgreSQL).

    .venv/bin/python -m bench.statement_costs [--count 2000]

In process, against a PostgreSQL database of its own: CPU and wall milliseconds per call of
asyncpg alone (the baseline), a hand-written `domain.sql.Statement`, tortoise's transaction,
an ORM insert and an ORM locking read. The API is CPU-bound on a purchase: this says what each
way of talking to the database costs before choosing one for a hot path.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from tortoise.transactions import in_transaction

from bench.harness import in_process_database, postgres_database
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.points.models import EntryKind, PointsEntry
from domain.sql import Statement

SELECT_ONE = Statement("SELECT 1 AS one")
LOCK_MEMBER = Statement("SELECT id FROM member WHERE customer_id = $1 FOR UPDATE")


async def per_call(count: int, call: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(CPU ms, wall ms) per call, after a warm-up."""
    for _ in range(100):
        await call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        await call()
    return (
        (time.process_time() - cpu) / count * 1000,
        (time.perf_counter() - wall) / count * 1000,
    )


async def measure(url: str, count: int) -> None:
    async with in_process_database(url):
        member = await get_or_create_member("bench-member", datetime.now(UTC))
        now = datetime.now(UTC)
        raw = await asyncpg.connect(url)

        async def empty_transaction() -> None:
            async with in_transaction():
                pass

        async def statement_in_transaction() -> None:
            async with in_transaction():
                await SELECT_ONE.rows()

        async def statement_lock() -> None:
            async with in_transaction():
                await LOCK_MEMBER.rows("bench-member")

        async def orm_lock() -> None:
            async with in_transaction():
                await Member.filter(customer_id="bench-member").select_for_update().first()

        async def orm_insert() -> None:
            async with in_transaction():
                await PointsEntry.create(
                    member_id=member.id,
                    kind=EntryKind.EARN,
                    delta=1,
                    remaining=1,
                    description="bench",
                    created_at=now,
                    available_at=now,
                )

        try:
            rows: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                ("asyncpg alone: SELECT 1 (the baseline)", lambda: raw.fetch("SELECT 1")),
                ("Statement SELECT 1, outside a transaction", SELECT_ONE.rows),
                ("tortoise transaction, empty", empty_transaction),
                ("transaction + Statement SELECT 1", statement_in_transaction),
                ("transaction + Statement locking a member", statement_lock),
                ("transaction + ORM locking read of a member", orm_lock),
                ("transaction + ORM insert of a ledger entry", orm_insert),
            ]
            baseline: float | None = None
            for label, call in rows:
                cpu, wall = await per_call(count, call)
                baseline = baseline or cpu
                print(
                    f"{label:<45} CPU {cpu:6.3f} ms ({cpu / baseline:4.1f}x)  wall {wall:6.3f} ms"
                )
        finally:
            await raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    with postgres_database("fidelio_bench_statements") as url:
        asyncio.run(measure(url, args.count))


if __name__ == "__main__":
    main()
