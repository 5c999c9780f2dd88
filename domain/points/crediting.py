"""Crediting earned points and announcing them: the one way areas other than purchases add
points to the ledger (referrals, engagement, badges, challenges, promotions, bonuses)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.events import record_event
from domain.points import ledger
from domain.points.events import PointsEarned
from domain.points.models import EarningRules, EntryKind, PointsEntry
from domain.points.rules import earning_rules


async def credit_earned(
    member_id: int,
    points: int,
    kind: EntryKind,
    description: str,
    now: datetime,
    rules: EarningRules,
    *,
    reference: str,
    available_at: datetime | None = None,
) -> PointsEntry:
    """Credit earned points spendable from `available_at` (default now), expiring
    `rules.expiry_days` after that, and announce them (PointsEarned), in the caller's
    transaction."""
    available = available_at or now
    expires_at = available + timedelta(days=rules.expiry_days) if rules.expiry_days else None
    entry = await ledger.credit(
        member_id,
        points,
        kind,
        description,
        now,
        available_at=available,
        expires_at=expires_at,
        reference=reference,
    )
    await record_event(
        PointsEarned(
            member_id=member_id,
            entry_id=entry.id,
            points=points,
            entry_kind=kind.value,
            reference=reference,
            available_at=available,
        ),
        now,
    )
    return entry


async def credit_bonus(
    member_id: int, points: int, description: str, reference: str, now: datetime
) -> PointsEntry | None:
    """BONUS points, spendable at once and expiring like any points of the program, announced;
    nothing for 0 points. The caller's transaction owns the idempotency of `reference`."""
    if points <= 0:
        return None
    return await credit_earned(
        member_id, points, EntryKind.BONUS, description, now, await earning_rules(),
        reference=reference,
    )  # fmt: skip
