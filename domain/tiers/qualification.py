"""Qualifying points: what a member earned in the rolling tier window.

Tiers follow points **earned**, never the balance: spending points does not cost a member their
tier. Earned means every ledger entry that is not spending or expiring: credits of the earning
kinds (purchases, bonuses, referrals, engagement, positive adjustments) minus reversals of
refunded orders and negative adjustments (corrections), counted by when the entry was written.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.points.balances import FIGURE_COLUMNS, PointsFigures, figures_of_row
from domain.points.models import EntryKind
from domain.sql import Statement, for_ids, literals

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


#: QUALIFYING_KINDS as an SQL list, for the statements below.
_QUALIFYING_KIND_LIST = literals(k.value for k in QUALIFYING_KINDS)
_QUALIFYING = f"""
    SELECT member_id, SUM(delta) AS total FROM points_entry
    WHERE member_id IN ({{ids}}) AND kind IN ({_QUALIFYING_KIND_LIST})
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


@dataclass(frozen=True)
class Standing:
    """A member's points figures and qualifying points, read together."""

    figures: PointsFigures
    qualifying_points: int


_STANDING = Statement(f"""
    SELECT {FIGURE_COLUMNS},
        SUM(CASE WHEN kind IN ({_QUALIFYING_KIND_LIST})
            AND created_at > $2 AND created_at <= $1 THEN delta ELSE 0 END) AS qualifying
    FROM points_entry WHERE member_id = $3
""")


async def standing(member_id: int, now: datetime, window_months: int) -> Standing:
    """The member's figures (as `domain.points.balances.figures`) and qualifying points (as
    `qualifying_points`) in one query: what a purchase reads after crediting its points."""
    rows = await _STANDING.rows(now, window_start(now, window_months), member_id)
    row = rows[0] if rows else None
    return Standing(
        figures=figures_of_row(row),
        qualifying_points=max(0, int((row or {}).get("qualifying") or 0)),
    )
