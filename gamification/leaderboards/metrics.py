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

from tortoise.functions import Count, Max
from tortoise.queryset import QuerySet

from domain.achievements.models import ChallengeCompletion
from domain.points.models import EntryKind
from domain.sql import Statement, dialect, for_ids, literal, literals
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


def _scored(
    template: str, column: str, period: Period, member_ids: list[int] | None
) -> tuple[Statement, list[Any]]:
    """`template` with its `{where}` completed by the period's bounds on `column` and the
    members (when given), and the parameters in placeholder order: one statement per shape,
    built once (`for_ids`).

    On PostgreSQL a batch's members and their period are written in the statement instead
    (`literal`: numbers and timestamps the code made, never input), so that the server plans
    it with what it knows of them and reads each member's rows by the member's index. With
    them as parameters, the generic plan the server settles on after five runs takes any
    period for a few rows and scans all of it for the batch's members: a month of purchases
    for each batch (6-8 ms a call on the purchase bench's 13,000 purchases, and growing with
    the period). A new text each batch costs a parse, a plan (a few tenths of a millisecond)
    and a round trip, once per board period and batch."""
    written = member_ids is not None and dialect() == "postgres"
    params: list[Any] = []

    def bound(value: datetime) -> str:
        if written:
            return literal(value)
        params.append(value)
        return f"${len(params)}"

    where: list[str] = []
    if period.start is not None:
        where.append(f"AND {column} >= {bound(period.start)}")
    if period.end is not None:
        where.append(f"AND {column} < {bound(period.end)}")
    if member_ids is None:
        return for_ids(template.replace("{where}", " ".join(where)), 0), params
    if written:
        where.append(f"AND x.member_id IN ({', '.join(literal(m) for m in member_ids)})")
        return Statement(template.replace("{where}", " ".join(where))), []
    where.append("AND x.member_id IN ({ids})")
    return for_ids(template.replace("{where}", " ".join(where)), len(member_ids)), [
        *params,
        *member_ids,
    ]


#: Hand-written (`domain.sql`): the worker runs these for every batch of purchases.
_POINTS_EARNED = f"""
    SELECT x.member_id AS member_id, SUM(x.delta) AS total, MAX(x.created_at) AS last
    FROM points_entry x JOIN member m ON m.id = x.member_id AND m.erased_at IS NULL
    WHERE ((x.kind IN ({literals(k.value for k in EARNED_KINDS)}) AND x.delta > 0)
            OR x.kind = '{EntryKind.REVERSAL.value}')
        AND (x.reference IS NULL OR x.reference NOT LIKE '{PRIZE_REFERENCE_PREFIX}%')
        {{where}}
    GROUP BY x.member_id
"""
#: Per member: the purchases made in the period (not erased members'), their amounts, how
#: many were refunded whole, the last recorded and the last refund of one of them. Amounts are
#: compared by their difference in cents: SQLite keeps them as text (and a refund's running
#: sum as a float), where comparing the columns themselves would compare strings.
_PURCHASES = """
    SELECT member_id, SUM(amount) AS total, SUM(refunded_amount) AS refunded,
        COUNT(*) AS made, SUM(gone) AS gone, MAX(recorded_at) AS last,
        MAX(last_refund) AS last_refund
    FROM (
        SELECT x.member_id, x.amount, x.refunded_amount, x.recorded_at,
            CASE WHEN ROUND((x.refunded_amount - x.amount) * 100) >= 0 THEN 1 ELSE 0 END AS gone,
            (SELECT MAX(r.created_at) FROM refund r WHERE r.purchase_id = x.id) AS last_refund
        FROM purchase x JOIN member m ON m.id = x.member_id AND m.erased_at IS NULL
        WHERE 1 = 1 {where}
    ) kept
    GROUP BY member_id
"""


async def _points_earned(period: Period, member_ids: list[int] | None) -> list[ScoreEntry]:
    statement, params = _scored(_POINTS_EARNED, "x.created_at", period, member_ids)
    return [
        ScoreEntry(int(row["member_id"]), max(int(row["total"] or 0), 0), _aware(row["last"]))
        for row in await statement.rows(*params)
    ]


async def _purchases(
    period: Period, member_ids: list[int] | None, *, amount: bool
) -> list[ScoreEntry]:
    statement, params = _scored(_PURCHASES, "x.occurred_at", period, member_ids)
    entries = []
    for row in await statement.rows(*params):
        reached = _aware(row["last"])
        if row["last_refund"] is not None:
            reached = max(reached, _aware(row["last_refund"]))
        if amount:
            net = Decimal(row["total"] or 0) - Decimal(row["refunded"] or 0)
            score: Decimal | int = max(net, Decimal(0)).quantize(Decimal("0.01"))
        else:
            score = int(row["made"]) - int(row["gone"] or 0)
        entries.append(ScoreEntry(int(row["member_id"]), score, reached))
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
