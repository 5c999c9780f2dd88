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

from domain.points.models import EntryKind
from domain.sql import for_ids, literals

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


_QUALIFYING = f"""
    SELECT member_id, SUM(delta) AS total FROM points_entry
    WHERE member_id IN ({{ids}}) AND kind IN ({literals(k.value for k in QUALIFYING_KINDS)})
        AND created_at > $1 AND created_at <= $2
    GROUP BY member_id
"""


async def qualifying_points(
    member_ids: Sequence[int], now: datetime, window_months: int
) -> dict[int, int]:
    """Points each member earned in the window ending at `now` (never below 0); members
    without entries in the window get 0. One query, hand-written (every purchase runs it,
    see `domain.sql`)."""
    totals = {member_id: 0 for member_id in member_ids}
    if not totals:
        return totals
    rows = await for_ids(_QUALIFYING, len(totals)).rows(
        window_start(now, window_months), now, *totals
    )
    for row in rows:
        totals[row["member_id"]] = max(0, int(row["total"] or 0))
    return totals
