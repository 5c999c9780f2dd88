"""What the drops screen reads of the signed-in member (their claims of the listed drops, their
balance, the drops' version): read with the member in one statement, it answers what the
member's read and `claims_and_balance` answer apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.drops.claims import claim_drop
from domain.drops.models import DropClaim, DropClaimStatus
from domain.drops.queries import (
    ClaimsAndBalance,
    claims_and_balance,
    member_with_claims_and_balance,
)
from domain.members.models import Member
from domain.members.services import get_member
from tests.integration.drops_support import OPENS, make_drop, make_member

pytestmark = pytest.mark.usefixtures("db")

AT = OPENS + timedelta(minutes=1)


def seen(found: ClaimsAndBalance) -> tuple[dict[int, dict[str, Any]], int, int | None]:
    claims = {
        drop_id: {name: getattr(claim, name) for name in DropClaim._meta.db_fields}
        for drop_id, claim in found.claims.items()
    }
    return claims, found.balance, found.drops_version


async def test_the_member_read_with_their_claims_and_balance_is_what_each_read_answers() -> None:
    first = await make_drop(code="FIRST", per_member_limit=3, price_points=100)
    second = await make_drop(code="SECOND", price_points=50)
    untouched = await make_drop(code="UNTOUCHED")
    ana = await make_member("ana", 1000)
    await make_member("bea", 1000)
    kept = (await claim_drop(ana, first.id, AT)).claim
    later = (await claim_drop(ana, first.id, AT, idempotency_key="again")).claim
    # the latest claim let go: the one still holding a unit is the one shown
    await DropClaim.filter(id=later.id).update(status=DropClaimStatus.CANCELLED, slot=None)
    await claim_drop(ana, second.id, AT)
    ids = [untouched.id, second.id, first.id, second.id]

    together = await member_with_claims_and_balance("ana", ids, AT)
    stored = await get_member("ana")
    assert together is not None and stored is not None
    member, parts = together
    apart = await claims_and_balance(stored.id, ids, AT)

    for name in Member._meta.db_fields:
        assert getattr(member, name) == getattr(stored, name), name
    assert seen(parts) == seen(apart)
    assert parts.claims[first.id].id == kept.id
    assert set(parts.claims) == {first.id, second.id}
    assert parts.balance == 1000 - 100 - 100 - 50  # a cancelled row here gives nothing back
    assert parts.drops_version is not None and parts.drops_version >= 3


async def test_no_drops_asked_reads_the_member_and_balance_and_no_member_reads_none() -> None:
    await make_drop(code="FIRST")
    ana = await make_member("ana", 300)

    together = await member_with_claims_and_balance("ana", [], AT)

    assert together is not None
    assert (together[0].id, together[1].claims, together[1].balance) == (ana.id, {}, 300)
    assert await member_with_claims_and_balance("nobody", [1], AT) is None
    await Member.filter(id=ana.id).update(customer_id=None)  # as an erasure leaves the row
    assert await member_with_claims_and_balance("ana", [1], AT) is None
