"""Crediting the points that referrals and engagement earn, as purchases do."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.events import record_event
from domain.points import ledger
from domain.points.events import PointsEarned
from domain.points.models import EarningRules, EntryKind, PointsEntry


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
    `rules.expiry_days` after that, and announce them (PointsEarned)."""
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
