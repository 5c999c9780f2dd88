"""Qualifying points: what a member earned in the rolling tier window.

Tiers follow points **earned**, never the balance: spending points does not cost a member their
tier. Earned means every ledger entry that is not spending or expiring: credits of the earning
kinds (purchases, bonuses, referrals, engagement, positive adjustments) minus reversals of
refunded orders and negative adjustments (corrections), counted by when the entry was written.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


#: QUALIFYING_KINDS as an SQL list, for the statements that sum qualifying points.
QUALIFYING_KIND_LIST = literals(k.value for k in QUALIFYING_KINDS)
_QUALIFYING = f"""
    SELECT member_id, SUM(delta) AS total FROM points_entry
    WHERE member_id IN ({{ids}}) AND kind IN ({QUALIFYING_KIND_LIST})
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
    #: The sum of the qualifying entries in the window, which reversals may take below 0.
    qualifying_total: int

    @property
    def qualifying_points(self) -> int:
        """As `qualifying_points`: never below 0."""
        return max(0, self.qualifying_total)

    def after_credit(
        self, points: int, now: datetime, available_at: datetime, expires_at: datetime | None
    ) -> Standing:
        """The standing once a credit of an earning kind (dated `now`) is added to it: what
        reading it again would give, without the read."""
        figures = self.figures
        alive = expires_at is None or expires_at > now
        spendable = alive and available_at <= now
        pending = alive and available_at > now
        return Standing(
            figures=PointsFigures(
                balance=figures.balance + (points if spendable else 0),
                pending=figures.pending + (points if pending else 0),
                lifetime_earned=figures.lifetime_earned + points,
            ),
            qualifying_total=self.qualifying_total + points,
        )


#: A member's standing as SQL aggregates over their `points_entry` rows, `$1` being now and
#: `$2` the start of the tier window.
STANDING_COLUMNS = f"""
    {FIGURE_COLUMNS},
    SUM(CASE WHEN kind IN ({QUALIFYING_KIND_LIST})
        AND created_at > $2 AND created_at <= $1 THEN delta ELSE 0 END) AS qualifying
"""
_STANDING = Statement(f"""
    SELECT {STANDING_COLUMNS} FROM points_entry WHERE member_id = $3
""")


def standing_of_row(row: Mapping[str, Any] | None) -> Standing:
    """The standing from a row of `STANDING_COLUMNS` (None: a member without entries)."""
    return Standing(
        figures=figures_of_row(row),
        qualifying_total=int((row or {}).get("qualifying") or 0),
    )


@dataclass
class HeldTier:
    """A member's tier columns, read without the rest of the row (a `Holder` with its id)."""

    id: int
    tier_code: str | None
    tier_level: int


_HELD_AND_QUALIFYING = Statement(f"""
    SELECT tier_code, tier_level,
        (SELECT SUM(delta) FROM points_entry WHERE member_id = $1
            AND kind IN ({QUALIFYING_KIND_LIST}) AND created_at > $2 AND created_at <= $3)
            AS qualifying
    FROM member WHERE id = $1
""")


async def held_and_qualifying(
    member_id: int, now: datetime, window_months: int
) -> tuple[HeldTier, int] | None:
    """The member's tier columns and qualifying points (as `qualifying_points`) in one query;
    None for an unknown member."""
    rows = await _HELD_AND_QUALIFYING.rows(member_id, window_start(now, window_months), now)
    if not rows:
        return None
    row = rows[0]
    held = HeldTier(id=member_id, tier_code=row["tier_code"], tier_level=int(row["tier_level"]))
    return held, max(0, int(row["qualifying"] or 0))


#: The members' tiers beside `_QUALIFYING`'s totals (its `{ids}` and the window's `$1`, `$2`).
_HELD_AND_QUALIFYING_OF_MANY = f"""
    SELECT m.id, m.tier_code, m.tier_level, q.total AS qualifying
    FROM member m LEFT JOIN ({_QUALIFYING}) q ON q.member_id = m.id
    WHERE m.id IN ({{ids}})
"""


async def held_and_qualifying_of_many(
    member_ids: Sequence[int], now: datetime, window_months: int
) -> list[tuple[HeldTier, int]]:
    """`held_and_qualifying` for many members in one query (unknown members are left out)."""
    ids = list(dict.fromkeys(member_ids))
    if not ids:
        return []
    rows = await for_ids(_HELD_AND_QUALIFYING_OF_MANY, len(ids)).rows(
        window_start(now, window_months), now, *ids
    )
    return [
        (
            HeldTier(
                id=int(row["id"]), tier_code=row["tier_code"], tier_level=int(row["tier_level"])
            ),
            max(0, int(row["qualifying"] or 0)),
        )
        for row in rows
    ]


async def standing(member_id: int, now: datetime, window_months: int) -> Standing:
    """The member's figures (as `domain.points.balances.figures`) and qualifying points (as
    `qualifying_points`) in one query: what a purchase reads after crediting its points."""
    rows = await _STANDING.rows(now, window_start(now, window_months), member_id)
    return standing_of_row(rows[0] if rows else None)
