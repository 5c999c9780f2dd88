"""The program's key figures over a period, computed by the database.

Every figure is an aggregate query (counts, sums in whole cents, `id IN (subquery)` for the
members involved): nothing is loaded row by row into Python, whatever the program's size.
`domain.kpis.definitions` says precisely what each figure means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.errors import InvalidInput
from domain.members.models import Member
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.models import Purchase, Refund
from domain.referrals.models import Engagement, EngagementKind
from domain.segments.services import segment_member_ids_query

#: The longest period one request may cover (about ten years).
MAX_PERIOD = timedelta(days=3_660)
CENT = Decimal("0.01")
PURCHASE_CENTS = 'CAST(ROUND("purchase"."amount" * 100) AS BIGINT)'
REFUND_CENTS = 'CAST(ROUND("refund"."amount" * 100) AS BIGINT)'
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


@dataclass(frozen=True)
class ProgramKpis:
    """The figures of `domain.kpis.definitions.KPI_DEFINITIONS`, under snake_case names."""

    start: datetime
    end: datetime
    members: int
    new_members: int
    active_members: int
    retention_rate: float | None
    repeat_purchase_rate: float | None
    purchase_frequency: float | None
    average_order_value: Decimal | None
    average_spend_per_active_member: Decimal | None
    revenue: Decimal
    points_issued: int
    points_redeemed: int
    points_expired: int
    outstanding_points: int
    redemption_rate: float | None
    net_promoter_score: float | None


@dataclass(frozen=True)
class _Scope:
    """Which members the figures are about: everyone, or the ids of a segment's members."""

    member_ids: Subquery | None

    def members(self) -> QuerySet[Member]:
        if self.member_ids is None:
            return Member.all()
        return Member.filter(id__in=self.member_ids)

    def owned(self, query: QuerySet[Any]) -> QuerySet[Any]:
        if self.member_ids is None:
            return query
        return query.filter(member_id__in=self.member_ids)


async def program_kpis(
    start: datetime, end: datetime, now: datetime, segment_code: str | None = None
) -> ProgramKpis:
    """The key figures over [start, end), for every member or for the members of the segment
    `segment_code` as of `now`.

    Raises `InvalidInput` on `to` when the period is empty, reversed or longer than about ten
    years, and `NotFound` on `segmentCode` for an unknown segment.
    """
    if end <= start:
        raise InvalidInput("`to` must be after `from`", ["to"])
    if end - start > MAX_PERIOD:
        raise InvalidInput("a period covers at most 3660 days", ["to"])
    scope = _Scope(
        await segment_member_ids_query(segment_code, now) if segment_code is not None else None
    )
    previous_start = start - (end - start)

    members, new_members = await _membership(scope, start, end)
    purchases, gross_cents = await _purchases(scope, start, end)
    refund_cents = await _refunds(scope, start, end)
    active = await _active(scope, start, end).count()
    active_before = await _active(scope, previous_start, start).count()
    retained = (
        await _active(scope, previous_start, start)
        .filter(id__in=Subquery(_active(scope, start, end).values("id")))
        .count()
        if active_before
        else 0
    )
    buyers, repeat_buyers = await _buyers(scope, start, end)
    issued, redeemed, expired, outstanding_at_start, outstanding_at_end = await _points(
        scope, start, end
    )
    promoters, detractors, answers = await _survey_scores(scope, start, end)

    revenue = _money(gross_cents - refund_cents)
    available = outstanding_at_start + issued
    return ProgramKpis(
        start=start,
        end=end,
        members=members,
        new_members=new_members,
        active_members=active,
        retention_rate=_ratio(retained, active_before),
        repeat_purchase_rate=_ratio(repeat_buyers, buyers),
        purchase_frequency=_ratio(purchases, active),
        average_order_value=_money_per(gross_cents, purchases),
        average_spend_per_active_member=_money_per(gross_cents - refund_cents, active),
        revenue=revenue,
        points_issued=issued,
        points_redeemed=redeemed,
        points_expired=expired,
        outstanding_points=outstanding_at_end,
        redemption_rate=_ratio(redeemed, available) if available > 0 else None,
        net_promoter_score=((promoters - detractors) * 100 / answers if answers else None),
    )


async def _membership(scope: _Scope, start: datetime, end: datetime) -> tuple[int, int]:
    rows = (
        await scope.members()
        .filter(joined_at__lt=end)
        .filter(Q(erased_at__isnull=True) | Q(erased_at__gte=end))
        .annotate(
            members=Count("id"),
            new_members=Count("id", _filter=Q(joined_at__gte=start)),
        )
        .values("members", "new_members")
    )
    return _int(rows, "members"), _int(rows, "new_members")


def _purchases_in(scope: _Scope, start: datetime, end: datetime) -> QuerySet[Purchase]:
    return scope.owned(Purchase.filter(occurred_at__gte=start, occurred_at__lt=end))


async def _purchases(scope: _Scope, start: datetime, end: datetime) -> tuple[int, int]:
    rows = (
        await _purchases_in(scope, start, end)
        .annotate(purchases=Count("id"), gross_cents=Sum(RawSQL(PURCHASE_CENTS)))
        .values("purchases", "gross_cents")
    )
    return _int(rows, "purchases"), _int(rows, "gross_cents")


async def _refunds(scope: _Scope, start: datetime, end: datetime) -> int:
    refunds = Refund.filter(created_at__gte=start, created_at__lt=end)
    if scope.member_ids is not None:
        refunds = refunds.filter(purchase_id__in=Subquery(scope.owned(Purchase.all()).values("id")))
    rows = await refunds.annotate(refund_cents=Sum(RawSQL(REFUND_CENTS))).values("refund_cents")
    return _int(rows, "refund_cents")


def _active(scope: _Scope, start: datetime, end: datetime) -> QuerySet[Member]:
    """Members in the scope with a purchase or an engagement in [start, end)."""
    bought = Purchase.filter(occurred_at__gte=start, occurred_at__lt=end).values("member_id")
    engaged = Engagement.filter(occurred_at__gte=start, occurred_at__lt=end).values("member_id")
    return scope.members().filter(Q(id__in=Subquery(bought)) | Q(id__in=Subquery(engaged)))


async def _buyers(scope: _Scope, start: datetime, end: datetime) -> tuple[int, int]:
    in_period = _purchases_in(scope, start, end)
    buyers = await Member.filter(id__in=Subquery(in_period.values("member_id"))).count()
    repeaters = (
        _purchases_in(scope, start, end)
        .annotate(orders=Count("id"))
        .group_by("member_id")
        .filter(orders__gte=2)
        .values("member_id")
    )
    repeat_buyers = await Member.filter(id__in=Subquery(repeaters)).count()
    return buyers, repeat_buyers


async def _points(scope: _Scope, start: datetime, end: datetime) -> tuple[int, int, int, int, int]:
    in_period = Q(created_at__gte=start)
    rows = (
        await scope.owned(PointsEntry.filter(created_at__lt=end))
        .annotate(
            issued=Sum("delta", _filter=in_period & Q(delta__gt=0)),
            redeemed=Sum("delta", _filter=in_period & Q(kind=EntryKind.REDEEM)),
            expired=Sum("delta", _filter=in_period & Q(kind=EntryKind.EXPIRE)),
            at_start=Sum("delta", _filter=Q(created_at__lt=start)),
            at_end=Sum("delta"),
        )
        .values("issued", "redeemed", "expired", "at_start", "at_end")
    )
    return (
        _int(rows, "issued"),
        -_int(rows, "redeemed"),
        -_int(rows, "expired"),
        _int(rows, "at_start"),
        _int(rows, "at_end"),
    )


async def _survey_scores(scope: _Scope, start: datetime, end: datetime) -> tuple[int, int, int]:
    rows = (
        await scope.owned(
            Engagement.filter(
                kind=EngagementKind.SURVEY,
                score__isnull=False,
                occurred_at__gte=start,
                occurred_at__lt=end,
            )
        )
        .annotate(
            answers=Count("id"),
            promoters=Count("id", _filter=Q(score__gte=PROMOTER_MIN)),
            detractors=Count("id", _filter=Q(score__lte=DETRACTOR_MAX)),
        )
        .values("answers", "promoters", "detractors")
    )
    return _int(rows, "promoters"), _int(rows, "detractors"), _int(rows, "answers")


def _int(rows: list[dict[str, Any]], key: str) -> int:
    return int(rows[0][key] or 0) if rows else 0


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _money_per(cents: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(cents) / 100 / count).quantize(CENT, rounding=ROUND_HALF_UP)
