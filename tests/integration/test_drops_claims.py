"""First-come claims: a unit, a debit and a coupon, or a typed error and nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.achievements.models import Badge, MemberBadge
from domain.drops.claims import claim_drop
from domain.drops.models import Drop, DropClaim, DropClaimStatus
from domain.errors import DomainError
from domain.members.models import Member
from domain.points.models import EntryKind, PointsEntry
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from tests.integration.drops_support import (
    BEFORE,
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


async def test_a_claim_reserves_a_unit_debits_the_price_and_returns_a_drop_coupon() -> None:
    drop = await make_drop(quantity=5, price_points=300)
    member = await make_member("ana", 1000)
    observer = RecordingObserver()

    result = await claim_drop(member, drop.id, AT, observer=observer)

    claim = result.claim
    assert claim.status == DropClaimStatus.RESERVED
    assert claim.coupon_code is not None and claim.coupon_code.startswith("DR-")
    assert claim.reserved_until == AT + timedelta(minutes=30)
    assert (claim.points_spent, claim.slot) == (300, 1)
    assert result.drop.remaining == 4
    assert result.awards.badge_ids == [42]
    assert await balance(member, AT) == 700
    debit = await PointsEntry.get(id=claim.points_entry_id)
    assert (debit.kind, debit.delta) == (EntryKind.REDEEM, -300)
    assert [(a.kind, a.member_id, a.reference, a.points) for a in observer.activities] == [
        ("DROP_CLAIM", member.id, f"drop-claim:{claim.id}", 300)
    ]
    assert await events_of("DropClaimed") == [
        {"member_id": member.id, "drop_id": drop.id, "claim_id": claim.id, "status": "RESERVED"}
    ]


async def test_the_reservation_time_is_configurable() -> None:
    drop = await make_drop()
    member = await make_member("ana", 1000)
    result = await claim_drop(member, drop.id, AT, reservation=timedelta(minutes=5))
    assert result.claim.reserved_until == AT + timedelta(minutes=5)


async def test_retrying_with_the_same_key_returns_the_first_claim_and_charges_once() -> None:
    drop = await make_drop(price_points=100)
    member = await make_member("ana", 1000)
    first = await claim_drop(member, drop.id, AT, idempotency_key="tap-1")
    before = await snapshot(drop)
    again = await claim_drop(member, drop.id, AT + timedelta(seconds=3), idempotency_key="tap-1")
    assert again.replayed and again.claim.id == first.claim.id
    assert again.claim.coupon_code == first.claim.coupon_code
    assert await snapshot(drop) == before
    assert await balance(member, AT) == 900


async def expect(code: str, coroutine: object) -> DomainError:
    try:
        await coroutine  # type: ignore[misc]
    except DomainError as exc:
        assert exc.code == code, exc.message
        return exc
    raise AssertionError(f"expected {code}")


async def test_a_second_claim_by_the_same_member_is_already_claimed() -> None:
    drop = await make_drop()
    member = await make_member("ana", 1000)
    await claim_drop(member, drop.id, AT)
    before = await snapshot(drop)
    error = await expect("ALREADY_CLAIMED", claim_drop(member, drop.id, AT))
    assert error.message == "You already claimed this drop."
    await expect("ALREADY_CLAIMED", claim_drop(member, drop.id, AT, idempotency_key="other"))
    assert await snapshot(drop) == before


async def test_a_member_may_claim_up_to_the_per_member_limit_with_one_coupon_each() -> None:
    drop = await make_drop(per_member_limit=2, price_points=50)
    member = await make_member("ana", 1000)
    one = await claim_drop(member, drop.id, AT)
    two = await claim_drop(member, drop.id, AT)
    assert (one.claim.slot, two.claim.slot) == (1, 2)
    assert one.claim.coupon_code != two.claim.coupon_code
    before = await snapshot(drop)
    error = await expect("ALREADY_CLAIMED", claim_drop(member, drop.id, AT))
    assert error.message == "You already claimed the 2 units allowed per member."
    assert await snapshot(drop) == before
    assert await balance(member, AT) == 900


async def test_before_it_opens_the_error_says_when_it_opens_for_the_member() -> None:
    drop = await make_drop()
    member = await make_member("ana", 1000, locale="es")
    before = await snapshot(drop)
    error = await expect("NOT_OPEN", claim_drop(member, drop.id, OPENS - timedelta(seconds=1)))
    assert error.message == "Este lanzamiento se abre para ti el 2026-03-01 10:00 UTC."
    assert await snapshot(drop) == before


async def test_early_access_members_claim_before_everyone_else() -> None:
    drop = await make_drop(early_access_tier_level=2, early_access_minutes=60)
    gold = await make_member("gold", 1000, tier_level=2)
    silver = await make_member("silver", 1000, tier_level=1)
    early = OPENS - timedelta(minutes=45)
    result = await claim_drop(gold, drop.id, early)
    assert result.claim.status == DropClaimStatus.RESERVED
    error = await expect("NOT_OPEN", claim_drop(silver, drop.id, early))
    assert error.message == "This drop opens for you at 2026-03-01 10:00 UTC."
    error = await expect("NOT_OPEN", claim_drop(gold, drop.id, OPENS - timedelta(minutes=61)))
    assert error.message == "This drop opens for you at 2026-03-01 09:00 UTC."


async def test_after_it_closes_a_claim_is_closed() -> None:
    drop = await make_drop()
    member = await make_member("ana", 1000)
    before = await snapshot(drop)
    await expect("CLOSED", claim_drop(member, drop.id, CLOSES))
    assert await snapshot(drop) == before


async def test_when_the_last_unit_is_gone_claims_are_out_of_stock_and_charge_nothing() -> None:
    drop = await make_drop(quantity=1)
    await claim_drop(await make_member("first", 1000), drop.id, AT)
    late = await make_member("late", 1000)
    before = await snapshot(drop)
    await expect("OUT_OF_STOCK", claim_drop(late, drop.id, AT))
    assert await snapshot(drop) == before
    assert await balance(late, AT) == 1000


async def test_the_stock_guard_holds_even_when_the_early_check_saw_stock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The drop was read with one unit left; another claim takes it before this one commits.
    drop = await make_drop(quantity=1)
    late = await make_member("late", 1000)
    await claim_drop(await make_member("first", 1000), drop.id, AT)
    stale = await Drop.get(id=drop.id)
    stale.remaining = 1

    async def stale_get_or_none(**kwargs: object) -> Drop:
        return stale

    monkeypatch.setattr(Drop, "get_or_none", stale_get_or_none)
    before = await snapshot(drop)
    await expect("OUT_OF_STOCK", claim_drop(late, drop.id, AT))
    monkeypatch.undo()
    assert await snapshot(drop) == before
    assert await balance(late, AT) == 1000


async def test_a_member_below_the_minimum_tier_is_not_eligible_with_the_reason() -> None:
    drop = await make_drop(min_tier_level=2)
    member = await make_member("ana", 1000, tier_level=1, locale="es")
    before = await snapshot(drop)
    error = await expect("NOT_ELIGIBLE", claim_drop(member, drop.id, AT))
    assert error.message == (
        "No puedes reservar este lanzamiento: Reservado para miembros de nivel 2 o superior."
    )
    assert await snapshot(drop) == before


async def test_the_required_badge_is_checked() -> None:
    badge = await Badge.create(
        code="OWL", name="Night owl", description="", rule={}, created_at=BEFORE, updated_at=BEFORE
    )
    drop = await make_drop(required_badge_code="OWL")
    without = await make_member("without", 1000)
    holder = await make_member("holder", 1000)
    await MemberBadge.create(member_id=holder.id, badge_id=badge.id, earned_at=BEFORE)
    error = await expect("NOT_ELIGIBLE", claim_drop(without, drop.id, AT))
    assert error.message == "You cannot claim this drop: Requires the badge “Night owl”."
    assert (await claim_drop(holder, drop.id, AT)).claim.status == DropClaimStatus.RESERVED


async def test_without_enough_points_nothing_changes() -> None:
    drop = await make_drop(price_points=300)
    member = await make_member("ana", 299)
    before = await snapshot(drop)
    error = await expect("INSUFFICIENT_POINTS", claim_drop(member, drop.id, AT))
    assert error.message == "This drop costs 300 points and you have 299."
    assert await snapshot(drop) == before
    assert await balance(member, AT) == 299


async def test_a_free_drop_writes_nothing_to_the_ledger() -> None:
    drop = await make_drop(price_points=0)
    member = await make_member("ana")
    result = await claim_drop(member, drop.id, AT)
    assert (result.claim.points_entry_id, result.claim.points_spent) == (None, 0)
    assert await PointsEntry.filter(member_id=member.id).count() == 0


async def test_an_unknown_drop_or_a_bad_key_is_reported_on_its_field() -> None:
    member = await make_member("ana", 1000)
    error = await expect("NOT_FOUND", claim_drop(member, 999, AT))
    assert error.field == ["input", "dropId"]
    drop = await make_drop()
    error = await expect("INVALID_INPUT", claim_drop(member, drop.id, AT, idempotency_key="x" * 65))
    assert error.field == ["input", "idempotencyKey"]
    assert await DropClaim.all().count() == 0


async def test_a_segment_drop_admits_only_the_segments_members() -> None:
    await upsert_segment("es", "Spain", SegmentRule(countries=("ES",)), BEFORE)
    drop = await make_drop(segment_code="es")
    spain = await make_member("spain", 1000)
    france = await make_member("france", 1000)
    await Member.filter(id=spain.id).update(country="ES")
    await Member.filter(id=france.id).update(country="FR")
    before = await snapshot(drop)
    error = await expect("NOT_ELIGIBLE", claim_drop(france, drop.id, AT))
    assert (
        error.message == "You cannot claim this drop: Reserved for members of the segment “Spain”."
    )
    assert await snapshot(drop) == before
    assert (await claim_drop(spain, drop.id, AT)).claim.status == DropClaimStatus.RESERVED
