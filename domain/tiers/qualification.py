"""Qualifying points: what a member earned in the rolling tier window.

Tiers follow points **earned**, never the balance: spending points does not cost a member their
tier. Earned means every ledger entry that is not spending or expiring: credits of the earning
kinds (purchases, bonuses, referrals, engagement, positive adjustments) minus reversals of
refunded orders and negative adjustments (corrections), counted by when the entry was written.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime

from tortoise.functions import Sum

from domain.points.models import EntryKind, PointsEntry

QUALIFYING_KINDS = (
    EntryKind.EARN,
    EntryKind.BONUS,
    EntryKind.REFERRAL,
    EntryKind.ENGAGEMENT,
    EntryKind.ADJUST,
    EntryKind.REVERSAL,
)


def window_start(now: datetime, months: int) -> datetime:
    """`now` moved back `months` calendar months (the day clamped to the month's length)."""
    index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


async def qualifying_points(
    member_ids: Sequence[int], now: datetime, window_months: int
) -> dict[int, int]:
    """Points each member earned in the window ending at `now` (never below 0); members
    without entries in the window get 0."""
    totals = {member_id: 0 for member_id in member_ids}
    if not totals:
        return totals
    rows = (
        await PointsEntry.filter(
            member_id__in=list(totals),
            kind__in=list(QUALIFYING_KINDS),
            created_at__gt=window_start(now, window_months),
            created_at__lte=now,
        )
        .annotate(total=Sum("delta"))
        .group_by("member_id")
        .values("member_id", "total")
    )
    for row in rows:
        totals[row["member_id"]] = max(0, int(row["total"] or 0))
    return totals
