"""What a board ranks, computed from the database: per member, over one period `[start, end)`.

These aggregates are the only source of scores: live updates set a member's score from them and
rebuilds recompute every member from them, so a redelivered event never counts twice and a
rebuilt board equals the live one. Each member's `reached_at` is the time of the last database
row that changed the score (a purchase recorded, a refund, a ledger entry, a completion), so
ties are broken the same way live and after a rebuild.

- POINTS_EARNED: points credited by purchases, bonuses, referrals and engagement, minus points
  reversed by refunds, in the period; leaderboard prizes and admin adjustments do not count.
- AMOUNT_SPENT: the amount of purchases made in the period, less what was refunded of them.
- PURCHASES: purchases made in the period and not fully refunded.
- CHALLENGES_COMPLETED: challenge completions in the period.

Erased members have no score; a zero score is no score (the member is not on the board).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Count, Max, Sum
from tortoise.queryset import QuerySet

from domain.achievements.models import ChallengeCompletion
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.models import Purchase, Refund
from gamification.leaderboards.models import LeaderboardMetric
from gamification.leaderboards.periods import Period
from gamification.leaderboards.store import ScoreEntry

PRIZE_REFERENCE_PREFIX = "prize:"
EARNED_KINDS = (EntryKind.EARN, EntryKind.BONUS, EntryKind.REFERRAL, EntryKind.ENGAGEMENT)


async def member_scores(
    metric: LeaderboardMetric, period: Period, member_ids: Sequence[int] | None = None
) -> dict[int, ScoreEntry]:
    """Every member's score for `metric` in `period` (only `member_ids` when given), keyed by
    member id; members without a positive score are left out."""
    if member_ids is not None and not member_ids:
        return {}
    ids = list(member_ids) if member_ids is not None else None
    if metric is LeaderboardMetric.POINTS_EARNED:
        found = await _points_earned(period, ids)
    elif metric is LeaderboardMetric.AMOUNT_SPENT:
        found = await _purchases(period, ids, amount=True)
    elif metric is LeaderboardMetric.PURCHASES:
        found = await _purchases(period, ids, amount=False)
    elif metric is LeaderboardMetric.CHALLENGES_COMPLETED:
        found = await _challenges_completed(period, ids)
    else:  # pragma: no cover - the enum is closed
        raise ValueError(f"unknown metric {metric!r}")
    return {entry.member_id: entry for entry in found if entry.score > 0}


def _in_period(query: QuerySet[Any], column: str, period: Period) -> QuerySet[Any]:
    if period.start is not None:
        query = query.filter(**{f"{column}__gte": period.start})
    if period.end is not None:
        query = query.filter(**{f"{column}__lt": period.end})
    return query


def _of_members(
    query: QuerySet[Any], member_ids: list[int] | None, column: str = "member_id"
) -> QuerySet[Any]:
    if member_ids is not None:
        query = query.filter(**{f"{column}__in": member_ids})
    return query


async def _points_earned(period: Period, member_ids: list[int] | None) -> list[ScoreEntry]:
    query = PointsEntry.filter(
        Q(kind__in=list(EARNED_KINDS), delta__gt=0) | Q(kind=EntryKind.REVERSAL),
        Q(reference__isnull=True) | ~Q(reference__startswith=PRIZE_REFERENCE_PREFIX),
        member__erased_at__isnull=True,
    )
    query = _of_members(_in_period(query, "created_at", period), member_ids)
    rows = (
        await query.annotate(total=Sum("delta"), last=Max("created_at"))
        .group_by("member_id")
        .values("member_id", "total", "last")
    )
    return [
        ScoreEntry(row["member_id"], max(int(row["total"] or 0), 0), _aware(row["last"]))
        for row in rows
    ]


async def _purchases(
    period: Period, member_ids: list[int] | None, *, amount: bool
) -> list[ScoreEntry]:
    purchases = _of_members(
        _in_period(Purchase.filter(member__erased_at__isnull=True), "occurred_at", period),
        member_ids,
    )
    totals = (
        await purchases.annotate(
            total=Sum("amount"),
            refunded=Sum("refunded_amount"),
            made=Count("id"),
            last=Max("recorded_at"),
        )
        .group_by("member_id")
        .values("member_id", "total", "refunded", "made", "last")
    )
    if not totals:
        return []
    refunds = _of_members(
        _in_period(
            Refund.filter(purchase__member__erased_at__isnull=True),
            "purchase__occurred_at",
            period,
        ),
        member_ids,
        column="purchase__member_id",
    )
    last_refund = {
        row["purchase__member_id"]: _aware(row["last"])
        for row in await refunds.annotate(last=Max("created_at"))
        .group_by("purchase__member_id")
        .values("purchase__member_id", "last")
    }
    fully_refunded: dict[int, int] = {}
    if not amount:
        fully_refunded = {
            row["member_id"]: int(row["gone"])
            for row in await purchases.filter(refunded_amount__gte=F("amount"))
            .annotate(gone=Count("id"))
            .group_by("member_id")
            .values("member_id", "gone")
        }
    entries = []
    for row in totals:
        member_id = row["member_id"]
        reached = _aware(row["last"])
        if member_id in last_refund:
            reached = max(reached, last_refund[member_id])
        if amount:
            score: Decimal | int = Decimal(row["total"] or 0) - Decimal(row["refunded"] or 0)
            score = max(score, Decimal(0)).quantize(Decimal("0.01"))
        else:
            score = int(row["made"]) - fully_refunded.get(member_id, 0)
        entries.append(ScoreEntry(member_id, score, reached))
    return entries


async def _challenges_completed(period: Period, member_ids: list[int] | None) -> list[ScoreEntry]:
    query = _of_members(
        _in_period(
            ChallengeCompletion.filter(member__erased_at__isnull=True), "completed_at", period
        ),
        member_ids,
    )
    rows = (
        await query.annotate(done=Count("id"), last=Max("completed_at"))
        .group_by("member_id")
        .values("member_id", "done", "last")
    )
    return [ScoreEntry(row["member_id"], int(row["done"]), _aware(row["last"])) for row in rows]


def _aware(value: datetime | str) -> datetime:
    """Aggregates come back naive on SQLite (stored in UTC) and sometimes as text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
