"""The one evaluator of segment rules: a rule becomes a SQL query over members.

Every use goes through `members_matching`: the whole set (counts, campaigns) is the query
itself, one member's membership is the same query filtered by that member's id, and the key
figures embed it as SQL (`member_ids_sql`). Each condition is a WHERE clause on `member` or an
`id IN (subquery)` over purchases and badges, so the database does the work on SQLite and
PostgreSQL alike; nothing loads members into Python.

Net amounts are exact on both databases: PostgreSQL sums its NUMERIC columns as they are;
SQLite keeps decimals as text, so there they are summed as whole cents
(`CAST(ROUND(x * 100) AS BIGINT)`), which floating point cannot get wrong. Lifetime spend and
purchase count are correlated subqueries per member (the database reads one member's slice of
the (member, time, amounts) index), which keeps both the set and one member fast. Their SQL
goes through `domain.sql`, as every hand-written statement does (`literal`, `query_sql`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.expressions import RawSQL, Subquery
from tortoise.functions import Lower
from tortoise.queryset import QuerySet

from domain.achievements.models import MemberBadge
from domain.members.models import Member
from domain.offers.models import MemberRecommendation
from domain.purchases.models import Purchase
from domain.segments.rules import SegmentRule
from domain.sql import dialect, literal, query_sql


def _sqlite() -> bool:
    return dialect() == "sqlite"


def _net(prefix: str = "") -> str:
    """A purchase's amount net of refunds: the NUMERIC difference on PostgreSQL, whole cents
    on SQLite (compare it with `_amount`)."""
    net = f'({prefix}"amount" - {prefix}"refunded_amount")'
    return f"CAST(ROUND({net} * 100) AS BIGINT)" if _sqlite() else net


def _amount(amount: Decimal) -> Decimal | int:
    """`amount` in the unit of `_net`."""
    return int((amount * 100).to_integral_value()) if _sqlite() else amount


def _per_member(aggregate: str, now: datetime, kept_only: bool) -> RawSQL:
    """A correlated subquery: `aggregate` over the member's purchases made by `now` (kept
    ones only if `kept_only`). It reads the (member, time, amounts) index for one member at a
    time, so it costs the same for one member as a share of the whole set."""
    kept = f" AND {_net('p.')} > 0" if kept_only else ""
    return RawSQL(
        f'(SELECT {aggregate} FROM "purchase" p WHERE p."member_id" = "member"."id"'
        f' AND p."occurred_at" <= {literal(now)}{kept})'
    )


def kept_purchases(now: datetime) -> QuerySet[Purchase]:
    """Purchases made no later than `now` that were not fully refunded."""
    return Purchase.filter(occurred_at__lte=now).annotate(net=RawSQL(_net())).filter(net__gt=0)


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
        spent = _per_member(f"COALESCE(SUM({_net('p.')}), 0)", now, kept_only=False)
        query = query.annotate(lifetime_spend=spent).filter(
            lifetime_spend__gte=_amount(rule.min_lifetime_spend)
        )
    if rule.min_purchases is not None and rule.min_purchases > 0:
        kept_count = _per_member("COUNT(*)", now, kept_only=True)
        query = query.annotate(kept_purchases=kept_count).filter(
            kept_purchases__gte=rule.min_purchases
        )
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
    if rule.likely_to_redeem is not None:
        likely = MemberRecommendation.filter(
            model__active=True, reward__code=rule.likely_to_redeem.reward_code
        )
        if rule.likely_to_redeem.min_score is not None:
            likely = likely.filter(score__gte=rule.likely_to_redeem.min_score)
        if rule.likely_to_redeem.top is not None:
            likely = likely.order_by("-score", "member_id").limit(rule.likely_to_redeem.top)
        query = query.filter(id__in=Subquery(likely.values("member_id")))
    return query


def member_ids_sql(members: QuerySet[Member], start: int = 1) -> tuple[str, list[Any]]:
    """`SELECT "id" ...` of `members` in a `domain.sql.Statement`'s dialect, its values
    numbered from `start`, and those values: for embedding in other statements."""
    return query_sql(members.values("id"), start)
