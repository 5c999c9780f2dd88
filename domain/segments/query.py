"""The one evaluator of segment rules: a rule becomes a SQL query over members.

Every use goes through `members_matching`: the whole set (counts, campaigns) is the query
itself, one member's membership is the same query filtered by that member's id. Each condition
is a WHERE clause on `member` or an `id IN (subquery)` over purchases and badges, so the
database does the work on SQLite and PostgreSQL alike; nothing loads members into Python.

Amounts are summed as whole cents (`CAST(ROUND(x * 100) AS BIGINT)`): SQLite keeps decimals
as text, and integer cents make the sums exact on both databases.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.expressions import RawSQL, Subquery
from tortoise.functions import Count, Lower, Sum
from tortoise.queryset import QuerySet

from domain.achievements.models import MemberBadge
from domain.members.models import Member
from domain.purchases.models import Purchase
from domain.segments.rules import SegmentRule

#: A purchase's amount net of refunds, in cents.
NET_CENTS = 'CAST(ROUND(("amount" - "refunded_amount") * 100) AS BIGINT)'


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def kept_purchases(now: datetime) -> QuerySet[Purchase]:
    """Purchases made no later than `now` that were not fully refunded."""
    return (
        Purchase.filter(occurred_at__lte=now)
        .annotate(net_cents=RawSQL(NET_CENTS))
        .filter(net_cents__gt=0)
    )


def current_members() -> QuerySet[Member]:
    """Members who have not erased their account: the universe of every segment."""
    return Member.filter(erased_at__isnull=True)


def members_matching(rule: SegmentRule, now: datetime) -> QuerySet[Member]:
    """The members meeting every condition of `rule` as of `now`, as a query."""
    query = current_members()
    if rule.min_tier_level is not None:
        query = query.filter(tier_level__gte=rule.min_tier_level)
    if rule.countries:
        query = query.filter(country__in=list(rule.countries))
    if rule.cities:
        query = query.annotate(city_folded=Lower("city")).filter(
            city_folded__in=[city.lower() for city in rule.cities]
        )
    earliest, latest = rule.birth_date_bounds(now.date())
    if latest is not None:
        query = query.filter(birth_date__lte=latest)
    if earliest is not None:
        query = query.filter(birth_date__gt=earliest)
    if rule.min_lifetime_spend is not None and rule.min_lifetime_spend > 0:
        big_spenders = (
            Purchase.filter(occurred_at__lte=now)
            .annotate(spent_cents=Sum(RawSQL(NET_CENTS)))
            .group_by("member_id")
            .filter(spent_cents__gte=cents(rule.min_lifetime_spend))
            .values("member_id")
        )
        query = query.filter(id__in=Subquery(big_spenders))
    if rule.min_purchases is not None and rule.min_purchases > 0:
        frequent = (
            kept_purchases(now)
            .annotate(kept_count=Count("id"))
            .group_by("member_id")
            .filter(kept_count__gte=rule.min_purchases)
            .values("member_id")
        )
        query = query.filter(id__in=Subquery(frequent))
    if rule.purchased_within_days is not None:
        since = now - timedelta(days=rule.purchased_within_days)
        recent = kept_purchases(now).filter(occurred_at__gte=since).values("member_id")
        query = query.filter(id__in=Subquery(recent))
    if rule.not_purchased_within_days is not None:
        since = now - timedelta(days=rule.not_purchased_within_days)
        recent = kept_purchases(now).filter(occurred_at__gte=since).values("member_id")
        query = query.filter(id__not_in=Subquery(recent))
    if rule.has_badge_code is not None:
        holders = MemberBadge.filter(badge__code=rule.has_badge_code).values("member_id")
        query = query.filter(id__in=Subquery(holders))
    if rule.channels:
        shoppers = (
            kept_purchases(now)
            .filter(channel__in=[c.value for c in rule.channels])
            .values("member_id")
        )
        query = query.filter(id__in=Subquery(shoppers))
    return query
