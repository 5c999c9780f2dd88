"""A reservation ends one of two ways, exactly once: the shop completes it with the coupon, or
it lapses and the release job gives the unit and the points back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.drops.checkout import (
    complete_drop_claim,
    find_drop_claim_by_code,
    is_drop_coupon_code,
)
from domain.drops.claims import claim_drop
from domain.drops.jobs import release_expired_reservations
from domain.drops.models import CancelReason, Drop, DropClaim, DropClaimStatus
from domain.errors import DomainError
from domain.points import ledger
from domain.points.models import EntryKind, PointsAllocation, PointsEntry
from domain.privacy.export import DOMAIN_SECTIONS, export_member_data
from tests.integration.drops_support import OPENS, balance, events_of, make_drop, make_member

pytestmark = pytest.mark.usefixtures("db")

AT = OPENS + timedelta(minutes=1)
LAPSED = AT + timedelta(minutes=30)


async def reserve(customer_id: str = "ana", points: int = 1000, **drop: object) -> DropClaim:
    the_drop = await make_drop(**drop)
    member = await make_member(customer_id, points)
    return (await claim_drop(member, the_drop.id, AT)).claim


async def error_of(coroutine: object) -> tuple[str, list[str] | None]:
    try:
        await coroutine  # type: ignore[misc]
    except DomainError as exc:
        return exc.code, exc.field
    raise AssertionError("expected an error")


async def test_the_shop_completes_a_reservation_with_its_coupon_once() -> None:
    claim = await reserve()
    assert claim.coupon_code is not None
    typed = " " + claim.coupon_code.lower() + " "
    assert is_drop_coupon_code(typed)
    done = await complete_drop_claim(typed, "A-1001", AT + timedelta(minutes=10))
    assert (done.order_id, done.completed_at) == ("A-1001", AT + timedelta(minutes=10))
    assert done.status == DropClaimStatus.RESERVED
    again = await complete_drop_claim(claim.coupon_code, "A-1001", AT + timedelta(minutes=11))
    assert again.completed_at == AT + timedelta(minutes=10)
    assert await error_of(complete_drop_claim(claim.coupon_code, "B-2", AT)) == (
        "ALREADY_USED",
        ["input", "code"],
    )
    assert len(await events_of("DropClaimCompleted")) == 1


async def test_unknown_and_reward_codes_are_not_drop_codes() -> None:
    assert not is_drop_coupon_code("FD-7KQ2-XM9D-CT4B-HW")
    assert await find_drop_claim_by_code("DR-2222-3333-4444-55") is None
    assert await error_of(complete_drop_claim("DR-2222-3333-4444-55", "A-1", AT)) == (
        "INVALID_CODE",
        ["input", "code"],
    )


async def test_a_lapsed_reservation_goes_back_to_stock_with_the_points_exactly_once() -> None:
    claim = await reserve(quantity=3, price_points=400)
    member = await claim.member
    lifetime = (await ledger.summary(member.id, AT)).lifetime_earned
    assert await balance(member, AT) == 600

    assert await release_expired_reservations(LAPSED - timedelta(seconds=1)) == 0
    assert await release_expired_reservations(LAPSED) == 1
    assert await release_expired_reservations(LAPSED + timedelta(hours=1)) == 0

    released = await DropClaim.get(id=claim.id)
    assert (released.status, released.cancel_reason, released.slot) == (
        DropClaimStatus.CANCELLED,
        CancelReason.EXPIRED,
        None,
    )
    assert (await Drop.get(id=claim.drop_id)).remaining == 3
    summary = await ledger.summary(member.id, LAPSED)
    assert (summary.balance, summary.lifetime_earned) == (1000, lifetime)
    assert await events_of("DropReservationReleased") == [
        {
            "member_id": member.id,
            "drop_id": claim.drop_id,
            "claim_id": claim.id,
            "points_returned": 400,
        }
    ]
    # The ledger still tells the whole story: each lot's remaining is its delta minus what
    # its allocations took (the return's allocations are negative).
    for lot in await PointsEntry.filter(member_id=member.id, delta__gt=0, remaining__gt=0):
        taken = sum(
            await PointsAllocation.filter(credit_id=lot.id).values_list("points", flat=True)
        )
        assert lot.remaining == lot.delta - taken


async def test_returned_points_keep_their_original_expiry() -> None:
    drop = await make_drop(price_points=100)
    member = await make_member("ana")
    expires = AT + timedelta(days=3)
    await ledger.credit(member.id, 100, EntryKind.EARN, "earn", AT, expires_at=expires)
    await claim_drop(member, drop.id, AT)
    await release_expired_reservations(LAPSED)
    summary = await ledger.summary(member.id, LAPSED)
    assert summary.balance == 100
    assert [(e.points, e.expires_at) for e in summary.expiring_soon] == [(100, expires)]


async def test_a_completed_reservation_is_never_released() -> None:
    claim = await reserve()
    assert claim.coupon_code is not None
    await complete_drop_claim(claim.coupon_code, "A-1", AT + timedelta(minutes=29))
    assert await release_expired_reservations(LAPSED) == 0
    assert (await Drop.get(id=claim.drop_id)).remaining == 9


async def test_a_lapsed_coupon_cannot_complete_even_before_the_job_ran() -> None:
    claim = await reserve()
    assert claim.coupon_code is not None
    assert await error_of(complete_drop_claim(claim.coupon_code, "A-1", LAPSED)) == (
        "EXPIRED",
        ["input", "code"],
    )
    await release_expired_reservations(LAPSED)
    assert await error_of(complete_drop_claim(claim.coupon_code, "A-1", LAPSED)) == (
        "EXPIRED",
        ["input", "code"],
    )


async def test_after_a_release_the_member_may_claim_again() -> None:
    claim = await reserve()
    member = await claim.member
    await release_expired_reservations(LAPSED)
    again = await claim_drop(member, claim.drop_id, LAPSED + timedelta(minutes=1))
    assert again.claim.id != claim.id and again.claim.slot == 1
    assert await balance(member, LAPSED + timedelta(minutes=1)) == 900


async def test_concurrent_release_jobs_release_each_reservation_once() -> None:
    drop = await make_drop(quantity=10, price_points=100)
    members = [await make_member(f"m{i}", 100) for i in range(6)]
    for member in members:
        await claim_drop(member, drop.id, AT)
    counts = await asyncio.gather(*(release_expired_reservations(LAPSED) for _ in range(4)))
    assert sum(counts) == 6
    assert (await Drop.get(id=drop.id)).remaining == 10
    assert len(await events_of("DropReservationReleased")) == 6
    assert [await balance(m, LAPSED) for m in members] == [100] * 6


async def test_completion_and_release_racing_on_one_reservation_have_one_winner() -> None:
    claim = await reserve()
    assert claim.coupon_code is not None
    # At the very instant the reservation lapses, the checkout loses and the job wins.
    outcomes = await asyncio.gather(
        complete_drop_claim(claim.coupon_code, "A-1", LAPSED),
        release_expired_reservations(LAPSED),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], DomainError) and outcomes[0].code == "EXPIRED"
    assert outcomes[1] == 1
    assert (await Drop.get(id=claim.drop_id)).remaining == 10


async def test_the_members_data_export_lists_their_claims() -> None:
    claim = await reserve()
    member = await claim.member
    document = await export_member_data(member, DOMAIN_SECTIONS, AT)
    [exported] = document["dropClaims"]
    assert (exported["dropCode"], exported["status"], exported["couponCode"]) == (
        "SNEAKER-24",
        "RESERVED",
        claim.coupon_code,
    )
    assert exported["reservedUntil"] == (AT + timedelta(minutes=30)).isoformat()
