"""Points summaries of many members at once (for lists and per-request loaders).

Same definitions as `ledger.summary` (see `domain.points.ledger`), in two queries for any
number of members; the property tests check that both always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Sum

from domain.points.ledger import CREDIT_KINDS, EXPIRING_SOON_DAYS, PointsExpiry, PointsSummary
from domain.points.models import EntryKind, PointsEntry


async def summaries(member_ids: Sequence[int], now: datetime) -> dict[int, PointsSummary]:
    """Balance, pending, lifetime earned and the next expiries of each member."""
    ids = list(dict.fromkeys(member_ids))
    if not ids:
        return {}
    open_lots = await PointsEntry.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        member_id__in=ids,
        remaining__gt=0,
        delta__gt=0,
    ).values("member_id", "remaining", "available_at", "expires_at")
    balance: dict[int, int] = defaultdict(int)
    pending: dict[int, int] = defaultdict(int)
    expiring: dict[int, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    horizon = now + timedelta(days=EXPIRING_SOON_DAYS)
    for lot in open_lots:
        member_id = lot["member_id"]
        if lot["available_at"] <= now:
            balance[member_id] += lot["remaining"]
        else:
            pending[member_id] += lot["remaining"]
        if lot["expires_at"] is not None and lot["expires_at"] <= horizon:
            expiring[member_id][lot["expires_at"]] += lot["remaining"]
    totals = (
        await PointsEntry.filter(member_id__in=ids)
        .annotate(
            credited=Sum("delta", _filter=Q(delta__gt=0, kind__in=list(CREDIT_KINDS))),
            reversed=Sum("delta", _filter=Q(kind=EntryKind.REVERSAL)),
        )
        .group_by("member_id")
        .values("member_id", "credited", "reversed")
    )
    lifetime = {
        row["member_id"]: int(row["credited"] or 0) + int(row["reversed"] or 0) for row in totals
    }
    return {
        member_id: PointsSummary(
            balance=balance[member_id],
            pending=pending[member_id],
            lifetime_earned=lifetime.get(member_id, 0),
            expiring_soon=tuple(
                PointsExpiry(points=points, expires_at=at)
                for at, points in sorted(expiring[member_id].items())
                if points > 0
            ),
        )
        for member_id in ids
    }
