"""Points summaries of many members at once (for lists and per-request loaders).

Same definitions as `ledger.summary` (see `domain.points.ledger`): the figures of any number of
members in one aggregate query, their next expiries in another, asked for only when needed.
The property tests check that both always agree with `ledger.summary`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.points.ledger import CREDIT_KINDS, EXPIRING_SOON_DAYS, PointsExpiry, PointsSummary
from domain.points.models import EntryKind
from domain.sql import as_datetime, distinct, for_ids, literals


@dataclass(frozen=True)
class PointsFigures:
    balance: int
    pending: int
    lifetime_earned: int


#: The figures as SQL aggregates over a member's `points_entry` rows, `$1` being now.
FIGURE_COLUMNS = f"""
    SUM(CASE WHEN delta > 0 AND remaining > 0 AND (expires_at IS NULL OR expires_at > $1)
        AND available_at <= $1 THEN remaining ELSE 0 END) AS balance,
    SUM(CASE WHEN delta > 0 AND remaining > 0 AND (expires_at IS NULL OR expires_at > $1)
        AND available_at > $1 THEN remaining ELSE 0 END) AS pending,
    SUM(CASE WHEN delta > 0 AND kind IN ({literals(sorted(CREDIT_KINDS))})
        THEN delta ELSE 0 END) AS credited,
    SUM(CASE WHEN kind = '{EntryKind.REVERSAL.value}' THEN delta ELSE 0 END) AS reversed
"""
_FIGURES = f"""
    SELECT member_id, {FIGURE_COLUMNS}
    FROM points_entry WHERE member_id IN ({{ids}}) GROUP BY member_id
"""


_EXPIRING = """
    SELECT member_id, remaining, expires_at FROM points_entry
    WHERE member_id IN ({ids}) AND delta > 0 AND remaining > 0
        AND expires_at > $1 AND expires_at <= $2
"""


def figures_of_row(row: Mapping[str, Any] | None) -> PointsFigures:
    """The figures from a row of `FIGURE_COLUMNS` (None: a member without entries)."""
    if row is None:
        return PointsFigures(balance=0, pending=0, lifetime_earned=0)
    return PointsFigures(
        balance=int(row["balance"] or 0),
        pending=int(row["pending"] or 0),
        lifetime_earned=int(row["credited"] or 0) + int(row["reversed"] or 0),
    )


async def figures(member_ids: Sequence[int], now: datetime) -> dict[int, PointsFigures]:
    """Balance, pending and lifetime earned of each member, in one query (hand-written: it
    runs on every purchase, see `domain.sql`)."""
    ids = distinct(member_ids)
    if not ids:
        return {}
    rows = await for_ids(_FIGURES, len(ids)).rows(now, *ids)
    found = {row["member_id"]: row for row in rows}
    return {member_id: figures_of_row(found.get(member_id)) for member_id in ids}


async def expiring_soon(
    member_ids: Sequence[int], now: datetime
) -> dict[int, tuple[PointsExpiry, ...]]:
    """Each member's unspent points expiring within `EXPIRING_SOON_DAYS`, soonest first."""
    ids = distinct(member_ids)
    batches: dict[int, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    if ids:
        horizon = now + timedelta(days=EXPIRING_SOON_DAYS)
        rows = await for_ids(_EXPIRING, len(ids)).rows(now, horizon, *ids)
        for row in rows:
            batches[int(row["member_id"])][as_datetime(row["expires_at"])] += int(row["remaining"])
    return {
        member_id: tuple(
            PointsExpiry(points=points, expires_at=at)
            for at, points in sorted(batches[member_id].items())
        )
        for member_id in ids
    }


#: Figures and next expiries together: a row of figures per member ('F') and a row per
#: expiring credit ('X'), `$1` being now and `$2` the expiry horizon.
_SUMMARIES = f"""
    SELECT 'F' AS part, member_id, balance, pending, credited, reversed,
        NULL AS remaining, NULL AS expires_at
    FROM (SELECT member_id, {FIGURE_COLUMNS}
          FROM points_entry WHERE member_id IN ({{ids}}) GROUP BY member_id) AS figures
    UNION ALL
    SELECT 'X' AS part, member_id, NULL, NULL, NULL, NULL, remaining, expires_at
    FROM points_entry
    WHERE member_id IN ({{ids}}) AND delta > 0 AND remaining > 0
        AND expires_at > $1 AND expires_at <= $2
"""


async def summaries(member_ids: Sequence[int], now: datetime) -> dict[int, PointsSummary]:
    """Full summaries (figures and expiries) of each member, in one query."""
    ids = distinct(member_ids)
    if not ids:
        return {}
    horizon = now + timedelta(days=EXPIRING_SOON_DAYS)
    numbers: dict[int, Mapping[str, Any]] = {}
    batches: dict[int, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for row in await for_ids(_SUMMARIES, len(ids)).rows(now, horizon, *ids):
        member_id = int(row["member_id"])
        if row["part"] == "F":
            numbers[member_id] = row
        else:
            batches[member_id][as_datetime(row["expires_at"])] += int(row["remaining"])
    summaries = {}
    for member_id in ids:
        found = figures_of_row(numbers.get(member_id))
        summaries[member_id] = PointsSummary(
            balance=found.balance,
            pending=found.pending,
            lifetime_earned=found.lifetime_earned,
            expiring_soon=tuple(
                PointsExpiry(points=points, expires_at=at)
                for at, points in sorted(batches[member_id].items())
            ),
        )
    return summaries
