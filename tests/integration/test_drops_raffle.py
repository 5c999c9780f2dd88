"""Raffles: members enter while open, winners are drawn once from a recorded seed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.drops.checkout import complete_drop_claim
from domain.drops.claims import claim_drop
from domain.drops.draw import draw_raffle
from domain.drops.models import CancelReason, Drop, DropClaim, DropClaimStatus, DropMode
from domain.drops.raffle import replay_winners
from domain.errors import DomainError
from domain.members.models import Member
from domain.points.models import PointsEntry
from tests.integration.drops_support import (
    CLOSES,
    OPENS,
    RecordingObserver,
    balance,
    events_of,
    make_drop,
    make_member,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("db")

AT = OPENS + timedelta(minutes=1)
AFTER = CLOSES + timedelta(minutes=1)


async def raffle_with_entrants(
    count: int, *, code: str = "RAFFLE-1", quantity: int = 3, price: int = 200, points: int = 500
) -> tuple[Drop, list[Member]]:
    drop = await make_drop(code=code, mode=DropMode.RAFFLE, quantity=quantity, price_points=price)
    members = []
    for i in range(count):
        member = await make_member(f"{code}-m{i}", points)
        await claim_drop(member, drop.id, AT)
        members.append(member)
    return drop, members


async def error_code(coroutine: object) -> str:
    try:
        await coroutine  # type: ignore[misc]
    except DomainError as exc:
        return exc.code
    raise AssertionError("expected an error")


async def test_entering_a_raffle_charges_nothing_and_takes_no_stock() -> None:
    drop = await make_drop(mode=DropMode.RAFFLE, quantity=2, price_points=200)
    member = await make_member("ana", 500)
    observer = RecordingObserver()
    result = await claim_drop(member, drop.id, AT, observer=observer)
    assert result.claim.status == DropClaimStatus.ENTERED
    assert (result.claim.coupon_code, result.claim.points_spent) == (None, 0)
    assert result.drop.remaining == 2
    assert await balance(member, AT) == 500
    assert [a.kind for a in observer.activities] == ["DROP_CLAIM"]


async def test_one_entry_per_member_and_the_price_must_be_affordable() -> None:
    drop = await make_drop(mode=DropMode.RAFFLE, price_points=200)
    member = await make_member("ana", 500)
    await claim_drop(member, drop.id, AT)
    poor = await make_member("poor", 199)
    before = await snapshot(drop)
    assert await error_code(claim_drop(member, drop.id, AT)) == "ALREADY_CLAIMED"
    assert await error_code(claim_drop(poor, drop.id, AT)) == "INSUFFICIENT_POINTS"
    assert await snapshot(drop) == before


async def test_the_draw_waits_for_the_close() -> None:
    drop, _ = await raffle_with_entrants(2)
    assert await error_code(draw_raffle(drop.code, "s", CLOSES - timedelta(seconds=1))) == (
        "NOT_OPEN"
    )
    assert (await Drop.get(id=drop.id)).drawn_at is None


async def test_winners_pay_and_get_a_coupon_the_others_lose_and_pay_nothing() -> None:
    drop, members = await raffle_with_entrants(8, quantity=3, price=200)
    result = await draw_raffle(drop.code, "spring", AFTER)

    assert result.seed == "spring" and result.drawn_now
    assert len(result.winners) == 3
    claims = {c.member_id: c for c in await DropClaim.filter(drop_id=drop.id)}
    winner_ids = [w.id for w in result.winners]
    for member in members:
        claim = claims[member.id]
        if member.id in winner_ids:
            assert claim.status == DropClaimStatus.WON
            assert claim.coupon_code is not None and claim.coupon_code.startswith("DR-")
            assert await balance(member, AFTER) == 300
        else:
            assert (claim.status, claim.coupon_code) == (DropClaimStatus.LOST, None)
            assert await balance(member, AFTER) == 500
    fresh = await Drop.get(id=drop.id)
    assert (fresh.remaining, fresh.raffle_seed, fresh.drawn_at) == (0, "spring", AFTER)
    [event] = await events_of("RaffleDrawn")
    assert event["seed"] == "spring" and event["winner_ids"] == winner_ids
    assert sorted(event["loser_ids"]) == sorted(set(claims) - set(winner_ids))
    # A winner's coupon completes the purchase like a reservation's.
    won = claims[winner_ids[0]]
    assert won.coupon_code is not None
    done = await complete_drop_claim(won.coupon_code, "A-9", AFTER + timedelta(days=3))
    assert done.order_id == "A-9"


async def test_a_second_draw_changes_nothing_and_returns_the_same_winners() -> None:
    drop, _ = await raffle_with_entrants(6, quantity=2)
    first = await draw_raffle(drop.code, "one", AFTER)
    before = await snapshot(drop)
    second = await draw_raffle(drop.code, "another seed", AFTER + timedelta(hours=1))
    assert not second.drawn_now
    assert (second.seed, [w.id for w in second.winners]) == ("one", [w.id for w in first.winners])
    assert await snapshot(drop) == before


async def test_concurrent_draws_draw_once() -> None:
    drop, _ = await raffle_with_entrants(6, quantity=2)
    results = await asyncio.gather(*(draw_raffle(drop.code, f"s{i}", AFTER) for i in range(4)))
    assert sum(r.drawn_now for r in results) == 1
    assert len({(r.seed, tuple(w.id for w in r.winners)) for r in results}) == 1
    assert await DropClaim.filter(drop_id=drop.id, status=DropClaimStatus.WON).count() == 2
    assert await PointsEntry.filter(delta__lt=0).count() == 2


async def test_the_draw_repeated_from_its_seed_gives_the_same_winners() -> None:
    # Two raffles entered by the same people in the same order, drawn with the same seed.
    first, people = await raffle_with_entrants(12, code="R-A", quantity=4)
    second = await make_drop(code="R-B", mode=DropMode.RAFFLE, quantity=4, price_points=200)
    for member in people:
        await claim_drop(member, second.id, AT)
    one = await draw_raffle("R-A", "published-seed", AFTER)
    two = await draw_raffle("R-B", "published-seed", AFTER)
    assert [w.id for w in one.winners] == [w.id for w in two.winners]
    # And anyone can replay it from the recorded seed and the entry ids alone.
    entries = await DropClaim.filter(drop_id=first.id).order_by("id")
    by_claim = {c.id: c.member_id for c in entries}
    replayed = replay_winners(one.seed, by_claim, 4)
    assert [by_claim[c] for c in replayed] == [w.id for w in one.winners]


async def test_a_winner_who_can_no_longer_pay_forfeits_to_the_next_in_order() -> None:
    drop, members = await raffle_with_entrants(5, quantity=2, price=200, points=200)
    entries = await DropClaim.filter(drop_id=drop.id).order_by("id")
    by_claim = {c.id: c.member_id for c in entries}
    drawn_first = by_claim[replay_winners("s", by_claim, 1)[0]]
    # The first drawn spent their points elsewhere since entering.
    await claim_drop(
        next(m for m in members if m.id == drawn_first),
        (await make_drop(code="OTHER", price_points=150)).id,
        AT,
    )
    result = await draw_raffle(drop.code, "s", AFTER)
    forfeited = await DropClaim.get(drop_id=drop.id, member_id=drawn_first)
    assert (forfeited.status, forfeited.cancel_reason) == (
        DropClaimStatus.CANCELLED,
        CancelReason.FORFEITED,
    )
    expected = replay_winners("s", by_claim, 2, forfeited={forfeited.id})
    assert [w.id for w in result.winners] == [by_claim[c] for c in expected]
    assert drawn_first not in [w.id for w in result.winners]


async def test_drawing_a_first_come_drop_or_an_unknown_code_fails() -> None:
    await make_drop(code="FC")
    assert await error_code(draw_raffle("FC", None, AFTER)) == "INVALID_INPUT"
    assert await error_code(draw_raffle("NOPE", None, AFTER)) == "NOT_FOUND"


async def test_without_a_seed_a_fresh_one_is_drawn_and_recorded() -> None:
    drop, _ = await raffle_with_entrants(3, quantity=1)
    result = await draw_raffle(drop.code, None, AFTER)
    assert len(result.seed) == 32
    assert (await Drop.get(id=drop.id)).raffle_seed == result.seed


async def test_with_fewer_entrants_than_units_everyone_wins_and_stock_remains() -> None:
    drop, members = await raffle_with_entrants(2, quantity=5)
    result = await draw_raffle(drop.code, "s", AFTER)
    assert sorted(w.id for w in result.winners) == sorted(m.id for m in members)
    assert (await Drop.get(id=drop.id)).remaining == 3
