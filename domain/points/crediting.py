"""Crediting earned points and announcing them: the one way every area adds qualifying points
to the ledger (purchases, referrals, engagement, badges, challenges, promotions, bonuses,
admins' adjustments).

Tier qualification observes every such credit (`domain.tiers.services.upgrade_on_credit`): a
credit that lifts the member's qualifying points to a higher tier upgrades them at once, in the
credit's transaction, and the credit reports that new tier, so that whichever use case earned
the points reports the upgrade in its own answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.events import record_event
from domain.members.models import Member
from domain.points import ledger
from domain.points.events import PointsEarned
from domain.points.models import EntryKind, PointsEntry
from domain.program import Program
from domain.tiers.models import Tier
from domain.tiers.qualification import HeldTier
from domain.tiers.services import upgrade_on_credit


@dataclass(frozen=True)
class Credited:
    """A credit written and announced, and the tier it raised the member to (if any)."""

    entry: PointsEntry
    new_tier: Tier | None = None


async def credit_earned(
    member_id: int,
    points: int,
    kind: EntryKind,
    description: str,
    now: datetime,
    program: Program,
    *,
    reference: str | None,
    available_at: datetime | None = None,
    actor: str | None = None,
    holder: Member | HeldTier | None = None,
) -> Credited:
    """Credit earned points spendable from `available_at` (default now), expiring the
    program's `expiry_days` after that, announce them (PointsEarned) and upgrade the member's
    tier if they now qualify for a higher one, in the caller's transaction (the member locked).

    `program`: the earning rules and tier ladder, from the process's `ProgramCache` (or
    `read_program()` where there is none). `holder`: the member's locked row, when the caller
    has it (the tier observer then reads nothing for a member on the top rung)."""
    rules = program.rules
    available = available_at or now
    expires_at = expiry_of(program, available)
    entry = await ledger.credit(
        member_id,
        points,
        kind,
        description,
        now,
        available_at=available,
        expires_at=expires_at,
        reference=reference,
        actor=actor,
    )
    await record_event(
        PointsEarned(
            member_id=member_id,
            entry_id=entry.id,
            points=points,
            entry_kind=kind.value,
            reference=reference,
            available_at=available,
            created_at=now,
        ),
        now,
    )
    new_tier = await upgrade_on_credit(
        member_id,
        now,
        window_months=rules.tier_window_months,
        ladder=program.ladder,
        holder=holder,
    )
    return Credited(entry=entry, new_tier=new_tier)


def expiry_of(program: Program, available_at: datetime) -> datetime | None:
    """When points earned spendable from `available_at` expire (None: the program's points
    never do); for writers of a credit in a statement of their own."""
    days = program.rules.expiry_days
    return available_at + timedelta(days=days) if days else None


async def credit_bonus(
    member_id: int,
    points: int,
    description: str,
    reference: str,
    now: datetime,
    program: Program,
    *,
    holder: Member | None = None,
) -> Credited | None:
    """BONUS points, spendable at once and expiring like any points of the program, announced;
    nothing for 0 points. The caller's transaction owns the idempotency of `reference`."""
    if points <= 0:
        return None
    return await credit_earned(
        member_id, points, EntryKind.BONUS, description, now, program,
        reference=reference, holder=holder,
    )  # fmt: skip
