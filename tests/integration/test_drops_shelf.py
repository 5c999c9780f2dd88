"""The drops list kept per process (`DropShelf`): the same list as the database's at every
moment the clock brings, and an admin's change seen by every process's next read.

Two shelves stand for two processes sharing the database. Their monotonic clock never moves
here, so nothing they show comes from a read made because their rows grew old.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FrozenClock
from domain.drops.definition import upsert_drop
from domain.drops.models import Drop, DropMode
from domain.drops.queries import DropListing, DropShelf, list_drops
from domain.drops.rules import DropStatus
from domain.versions import read_versions
from tests.integration.drops_support import BEFORE, CLOSES, OPENS, drop_input, make_drop
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")


def frozen() -> float:
    return 1000.0


def shelf(clock: FrozenClock) -> DropShelf:
    return DropShelf(clock, ticks=frozen)


async def drops_version() -> int:
    return (await read_versions()).get("drops", 0)


async def some_drops() -> None:
    await make_drop(code="EARLY", early_access_tier_level=2, early_access_minutes=30)
    await make_drop(code="SOLD", quantity=1)
    await Drop.filter(code="SOLD").update(remaining=0)
    await make_drop(code="LATER", opens_at=CLOSES, closes_at=CLOSES + timedelta(days=3))
    await make_drop(code="RAFFLE", mode=DropMode.RAFFLE, per_member_limit=1)
    await make_drop(
        code="LONG-AGO", opens_at=OPENS - timedelta(days=30), closes_at=OPENS - timedelta(days=20)
    )


def shown(drops: list[Drop]) -> list[tuple[str, int]]:
    return [(d.code, d.remaining) for d in drops]


async def test_the_list_from_a_shelf_is_the_databases_at_every_moment() -> None:
    await some_drops()
    clock = FrozenClock(BEFORE)
    ours = shelf(clock)
    listing = await ours.listing(await drops_version())
    moments = [
        BEFORE,
        OPENS - timedelta(minutes=30),
        OPENS,
        CLOSES,
        CLOSES + timedelta(days=10),
        OPENS + timedelta(days=10),
        CLOSES + timedelta(days=40),
    ]
    statuses = [None, *DropStatus]
    for moment in moments:
        clock.set(moment)
        assert await ours.listing(await drops_version()) is listing  # no read: same rows
        for status in statuses:
            for tier in (None, 0, 2):
                expected = shown(await list_drops(moment, status, tier))
                with counting_statements() as statements:
                    got = shown(await list_drops(moment, status, tier, listing))
                assert got == expected, (moment, status, tier)
                if status != DropStatus.CLOSED:
                    assert len(statements) == 0, statements.sql


async def test_a_listing_cut_short_answers_only_what_it_holds() -> None:
    for i in range(4):
        await make_drop(code=f"D{i}", opens_at=OPENS + timedelta(minutes=i))
    rows = tuple(await list_drops(BEFORE))
    after = BEFORE - timedelta(days=31)
    short = DropListing(0, after, rows[:2], complete=False)

    assert short.closing_after(BEFORE, 2) == list(rows[:2])
    assert short.closing_after(BEFORE, 3) is None
    assert short.closing_after(after - timedelta(seconds=1), 1) is None
    assert DropListing(0, after, rows, complete=True).closing_after(BEFORE, 400) == list(rows)
    assert shown(await list_drops(BEFORE, listing=short)) == shown(list(rows))


async def test_an_admin_change_is_seen_by_every_process_on_its_next_read() -> None:
    clock = FrozenClock(BEFORE)
    ours, theirs = shelf(clock), shelf(clock)
    await make_drop()
    for process in (ours, theirs):
        found = (await process.listing(await drops_version())).drops
        assert [(d.title, d.quantity) for d in found] == [("Limited sneaker", 10)]

    await upsert_drop(drop_input(title="Signed sneaker", quantity=12), BEFORE)
    await make_drop(code="NEW")

    version = await drops_version()
    for process in (ours, theirs):
        assert (await process.recent()).drops[0].title == "Limited sneaker"  # no time passed
        found = (await process.listing(version)).drops
        assert [(d.code, d.title, d.quantity, d.remaining) for d in found] == [
            ("SNEAKER-24", "Signed sneaker", 12, 12),
            ("NEW", "Limited sneaker", 10, 10),
        ]
