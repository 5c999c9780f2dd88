"""Races, as races: many members (and the same member many times) claiming at once.

The storm of a hundred units runs on PostgreSQL only (FIDELIO_TEST_DATABASE_URL), where claims
really interleave under row locks; the per-member test runs on both databases.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

import pytest

from domain.drops.claims import claim_drop
from domain.drops.models import Drop, DropClaim
from domain.errors import DomainError
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from tests.integration.drops_support import OPENS, make_drop, make_member, make_members

pytestmark = pytest.mark.usefixtures("db")

AT = OPENS + timedelta(seconds=1)
PRICE = 250


async def attempt(member: Member, drop_id: int, key: str | None) -> int | str:
    """The claim id on success, else the error code."""
    try:
        return (await claim_drop(member, drop_id, AT, idempotency_key=key)).claim.id
    except DomainError as exc:
        return exc.code


@pytest.mark.postgres
async def test_a_hundred_units_go_to_exactly_a_hundred_distinct_members() -> None:
    drop = await make_drop(quantity=100, price_points=PRICE)
    members = await make_members("race", 160, 1000)
    calls = []
    for i, member in enumerate(members):
        if i % 4 == 0:  # retries with the same key
            calls += [attempt(member, drop.id, f"k{i}") for _ in range(3)]
        elif i % 4 == 1:  # hammering without a key
            calls += [attempt(member, drop.id, None) for _ in range(3)]
        elif i % 4 == 2:  # a retry with a key, then a new key
            calls += [
                attempt(member, drop.id, f"k{i}"),
                attempt(member, drop.id, f"k{i}"),
                attempt(member, drop.id, f"x{i}"),
            ]
        else:
            calls.append(attempt(member, drop.id, None))
    random.Random(7).shuffle(calls)
    outcomes = await asyncio.gather(*calls)

    errors = Counter(o for o in outcomes if isinstance(o, str))
    assert set(errors) <= {"OUT_OF_STOCK", "ALREADY_CLAIMED"}, errors
    claims = await DropClaim.filter(drop_id=drop.id)
    assert len(claims) == 100
    assert len({c.member_id for c in claims}) == 100
    assert {o for o in outcomes if isinstance(o, int)} == {c.id for c in claims}
    assert len({c.coupon_code for c in claims}) == 100
    assert (await Drop.get(id=drop.id)).remaining == 0
    debits = await PointsEntry.filter(kind=EntryKind.REDEEM).values_list("member_id", "delta")
    assert len(debits) == 100 and sum(d for _, d in debits) == -100 * PRICE
    assert {m for m, _ in debits} == {c.member_id for c in claims}
    for member in members:
        expected = 1000 - PRICE if member.id in {c.member_id for c in claims} else 1000
        assert (await ledger.summary(member.id, AT)).balance == expected
    assert await OutboxEvent.filter(kind="DropClaimed").count() == 100


async def test_one_member_tapping_many_times_gets_the_per_member_limit_and_no_more() -> None:
    drop = await make_drop(quantity=50, price_points=PRICE, per_member_limit=2)
    member = await make_member("tapper", 10_000)
    outcomes = await asyncio.gather(
        *(attempt(member, drop.id, None) for _ in range(20)),
        *(attempt(member, drop.id, "same") for _ in range(10)),
    )
    assert await DropClaim.filter(drop_id=drop.id).count() == 2
    assert (await Drop.get(id=drop.id)).remaining == 48
    assert (await ledger.summary(member.id, AT)).balance == 10_000 - 2 * PRICE
    same_key = {o for o in outcomes[20:] if isinstance(o, int)}
    assert len(same_key) <= 1
    assert {o for o in outcomes if isinstance(o, str)} <= {"ALREADY_CLAIMED"}
