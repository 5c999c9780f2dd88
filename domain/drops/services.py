"""The use cases of exclusive drops, in one place for callers (the API, jobs, other areas)."""

from __future__ import annotations

from domain.drops.checkout import (
    complete_drop_claim,
    find_drop_claim_by_code,
    is_drop_coupon_code,
)
from domain.drops.claims import DEFAULT_RESERVATION, ClaimResult, SignedInMember, claim_drop
from domain.drops.definition import DropInput, upsert_drop
from domain.drops.draw import DrawResult, draw_raffle
from domain.drops.eligibility import Eligibility, eligibility, eligibility_for_drops
from domain.drops.jobs import announce_drops, release_expired_reservations
from domain.drops.queries import (
    ClaimsAndBalance,
    announcement_audience,
    claims_and_balance,
    drops_by_ids,
    get_drop,
    list_drops,
    member_claims,
    member_with_claims_and_balance,
)
from domain.drops.rules import DropStatus, drop_status, opens_for

__all__ = [
    "DEFAULT_RESERVATION",
    "ClaimResult",
    "ClaimsAndBalance",
    "DrawResult",
    "DropInput",
    "DropStatus",
    "Eligibility",
    "SignedInMember",
    "announce_drops",
    "announcement_audience",
    "claim_drop",
    "claims_and_balance",
    "complete_drop_claim",
    "draw_raffle",
    "drop_status",
    "drops_by_ids",
    "eligibility",
    "eligibility_for_drops",
    "find_drop_claim_by_code",
    "get_drop",
    "is_drop_coupon_code",
    "list_drops",
    "member_claims",
    "member_with_claims_and_balance",
    "opens_for",
    "release_expired_reservations",
    "upsert_drop",
]
