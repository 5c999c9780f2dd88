"""GraphQL types of segments and of the program's key figures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.types.common import Channel, UserError
from domain.kpis.definitions import KPI_DEFINITIONS, PROGRAM_KPIS
from domain.kpis.services import ProgramKpis as ProgramKpisResult
from domain.purchases.models import Channel as ChannelModel
from domain.segments import models
from domain.segments.rules import LikelyToRedeem as LikelyToRedeemValue
from domain.segments.rules import SegmentRule as SegmentRuleValue

_RULE_FIELDS = {
    "min_tier_level": "The member's tier level is at least this.",
    "countries": "The member's country is one of these ISO 3166-1 alpha-2 codes.",
    "cities": "The member's city is one of these (letter case ignored).",
    "min_age": (
        "The member is at least this old, in whole years on the day of evaluation (UTC). "
        "Members without a birth date never match an age condition."
    ),
    "max_age": "The member is at most this old, in whole years on the day of evaluation (UTC).",
    "min_lifetime_spend": (
        "The member's purchases add up to at least this amount, net of refunds."
    ),
    "min_purchases": "The member kept at least this many purchases (fully refunded ones do not count).",
    "purchased_within_days": "The member kept a purchase made in the last N days (N >= 1).",
    "not_purchased_within_days": (
        "The member kept no purchase made in the last N days (N >= 1); members who never "
        "bought match. Must be smaller than purchasedWithinDays when both are given."
    ),
    "has_badge_code": "The member holds the badge with this code (it must exist).",
    "channels": "The member kept a purchase made through one of these channels.",
    "likely_to_redeem": (
        "The member is among those the recommender finds most likely to redeem a reward (from "
        "the scores of the version served). Its `top` is taken before the other conditions."
    ),
}
_LIKELY_FIELDS = {
    "reward_code": "The reward's code (it must exist).",
    "top": (
        "Only the members with the highest scores for it, at most this many (1 to 1,000,000). "
        "Null: every member whose top rewards include it."
    ),
    "min_score": (
        "Only members scored at least this for it (the model's score, about 0 to 1). Null: "
        "no minimum."
    ),
}


@strawberry.input(description="Members likely to redeem a reward, by the recommender's scores.")
class LikelyToRedeemInput:
    reward_code: str = strawberry.field(description=_LIKELY_FIELDS["reward_code"])
    top: int | None = strawberry.field(default=None, description=_LIKELY_FIELDS["top"])
    min_score: float | None = strawberry.field(
        default=None, description=_LIKELY_FIELDS["min_score"]
    )

    def to_value(self) -> LikelyToRedeemValue:
        return LikelyToRedeemValue(self.reward_code, self.top, self.min_score)


@strawberry.type(description="Members likely to redeem a reward, by the recommender's scores.")
class LikelyToRedeem:
    reward_code: str = strawberry.field(description=_LIKELY_FIELDS["reward_code"])
    top: int | None = strawberry.field(description=_LIKELY_FIELDS["top"])
    min_score: float | None = strawberry.field(description=_LIKELY_FIELDS["min_score"])


@strawberry.input(
    description=(
        "A segment is the set of members matching every condition given; an omitted condition "
        "(or an empty list) does not restrict. Members who erased their account are in no "
        "segment."
    )
)
class SegmentRuleInput:
    min_tier_level: int | None = strawberry.field(
        default=None, description=_RULE_FIELDS["min_tier_level"]
    )
    countries: list[str] | None = strawberry.field(
        default=None, description=_RULE_FIELDS["countries"]
    )
    cities: list[str] | None = strawberry.field(default=None, description=_RULE_FIELDS["cities"])
    min_age: int | None = strawberry.field(default=None, description=_RULE_FIELDS["min_age"])
    max_age: int | None = strawberry.field(default=None, description=_RULE_FIELDS["max_age"])
    min_lifetime_spend: Decimal | None = strawberry.field(
        default=None, description=_RULE_FIELDS["min_lifetime_spend"]
    )
    min_purchases: int | None = strawberry.field(
        default=None, description=_RULE_FIELDS["min_purchases"]
    )
    purchased_within_days: int | None = strawberry.field(
        default=None, description=_RULE_FIELDS["purchased_within_days"]
    )
    not_purchased_within_days: int | None = strawberry.field(
        default=None, description=_RULE_FIELDS["not_purchased_within_days"]
    )
    has_badge_code: str | None = strawberry.field(
        default=None, description=_RULE_FIELDS["has_badge_code"]
    )
    channels: list[Channel] | None = strawberry.field(
        default=None, description=_RULE_FIELDS["channels"]
    )
    likely_to_redeem: LikelyToRedeemInput | None = strawberry.field(
        default=None, description=_RULE_FIELDS["likely_to_redeem"]
    )

    def to_rule(self) -> SegmentRuleValue:
        return SegmentRuleValue(
            min_tier_level=self.min_tier_level,
            countries=tuple(self.countries or ()),
            cities=tuple(self.cities or ()),
            min_age=self.min_age,
            max_age=self.max_age,
            min_lifetime_spend=self.min_lifetime_spend,
            min_purchases=self.min_purchases,
            purchased_within_days=self.purchased_within_days,
            not_purchased_within_days=self.not_purchased_within_days,
            has_badge_code=self.has_badge_code,
            channels=tuple(ChannelModel(c.value) for c in self.channels or ()),
            likely_to_redeem=self.likely_to_redeem.to_value() if self.likely_to_redeem else None,
        )


@strawberry.input(description="A segment to create, or to replace when its code exists.")
class SegmentInput:
    code: str = strawberry.field(
        description="Unique key: 1-64 letters, digits, '_', '.' or '-'. Upserts are by code."
    )
    name: str = strawberry.field(description="A name for people, 1-120 characters.")
    rule: SegmentRuleInput = strawberry.field(description="Who is in the segment.")


@strawberry.type(description="The conditions of a segment, as stored (normalised).")
class SegmentRule:
    min_tier_level: int | None = strawberry.field(description=_RULE_FIELDS["min_tier_level"])
    countries: list[str] | None = strawberry.field(description=_RULE_FIELDS["countries"])
    cities: list[str] | None = strawberry.field(description=_RULE_FIELDS["cities"])
    min_age: int | None = strawberry.field(description=_RULE_FIELDS["min_age"])
    max_age: int | None = strawberry.field(description=_RULE_FIELDS["max_age"])
    min_lifetime_spend: Decimal | None = strawberry.field(
        description=_RULE_FIELDS["min_lifetime_spend"]
    )
    min_purchases: int | None = strawberry.field(description=_RULE_FIELDS["min_purchases"])
    purchased_within_days: int | None = strawberry.field(
        description=_RULE_FIELDS["purchased_within_days"]
    )
    not_purchased_within_days: int | None = strawberry.field(
        description=_RULE_FIELDS["not_purchased_within_days"]
    )
    has_badge_code: str | None = strawberry.field(description=_RULE_FIELDS["has_badge_code"])
    channels: list[Channel] | None = strawberry.field(description=_RULE_FIELDS["channels"])
    likely_to_redeem: LikelyToRedeem | None = strawberry.field(
        description=_RULE_FIELDS["likely_to_redeem"]
    )

    @classmethod
    def from_rule(cls, rule: SegmentRuleValue) -> SegmentRule:
        return cls(
            min_tier_level=rule.min_tier_level,
            countries=list(rule.countries) or None,
            cities=list(rule.cities) or None,
            min_age=rule.min_age,
            max_age=rule.max_age,
            min_lifetime_spend=rule.min_lifetime_spend,
            min_purchases=rule.min_purchases,
            purchased_within_days=rule.purchased_within_days,
            not_purchased_within_days=rule.not_purchased_within_days,
            has_badge_code=rule.has_badge_code,
            channels=[Channel(c.value) for c in rule.channels] or None,
            likely_to_redeem=(
                LikelyToRedeem(
                    reward_code=rule.likely_to_redeem.reward_code,
                    top=rule.likely_to_redeem.top,
                    min_score=rule.likely_to_redeem.min_score,
                )
                if rule.likely_to_redeem
                else None
            ),
        )


@strawberry.type(description="A named set of members, for campaigns, drops and challenges.")
class Segment:
    id: strawberry.ID = strawberry.field(description="The segment's id.")
    code: str = strawberry.field(description="The unique code other configuration refers to.")
    name: str = strawberry.field(description="A name for people.")
    member_count: int = strawberry.field(
        description=(
            "How many members were in the segment at `countedAt` (recounted on every upsert "
            "and periodically)."
        )
    )
    counted_at: datetime | None = strawberry.field(description="When memberCount was counted.")
    rule: SegmentRule = strawberry.field(description="Who is in the segment.")

    @classmethod
    def from_model(cls, segment: models.Segment) -> Segment:
        return cls(
            id=strawberry.ID(str(segment.id)),
            code=segment.code,
            name=segment.name,
            member_count=segment.member_count,
            counted_at=segment.counted_at,
            rule=SegmentRule.from_rule(SegmentRuleValue.from_json(segment.rule)),
        )


@strawberry.type(description="The result of upsertSegment.")
class SegmentPayload:
    segment: Segment | None = strawberry.field(description="The segment as saved; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


def _kpi(name: str) -> str:
    return KPI_DEFINITIONS[name]


@strawberry.type(description=PROGRAM_KPIS)
class ProgramKpis:
    from_: datetime = strawberry.field(name="from", description=_kpi("from"))
    to: datetime = strawberry.field(description=_kpi("to"))
    members: int = strawberry.field(description=_kpi("members"))
    new_members: int = strawberry.field(description=_kpi("newMembers"))
    active_members: int = strawberry.field(description=_kpi("activeMembers"))
    retention_rate: float | None = strawberry.field(description=_kpi("retentionRate"))
    repeat_purchase_rate: float | None = strawberry.field(description=_kpi("repeatPurchaseRate"))
    purchase_frequency: float | None = strawberry.field(description=_kpi("purchaseFrequency"))
    average_order_value: Decimal | None = strawberry.field(description=_kpi("averageOrderValue"))
    average_spend_per_active_member: Decimal | None = strawberry.field(
        description=_kpi("averageSpendPerActiveMember")
    )
    revenue: Decimal = strawberry.field(description=_kpi("revenue"))
    points_issued: int = strawberry.field(description=_kpi("pointsIssued"))
    points_redeemed: int = strawberry.field(description=_kpi("pointsRedeemed"))
    points_expired: int = strawberry.field(description=_kpi("pointsExpired"))
    outstanding_points: int = strawberry.field(description=_kpi("outstandingPoints"))
    redemption_rate: float | None = strawberry.field(description=_kpi("redemptionRate"))
    net_promoter_score: float | None = strawberry.field(description=_kpi("netPromoterScore"))

    @classmethod
    def from_result(cls, kpis: ProgramKpisResult) -> ProgramKpis:
        return cls(
            from_=kpis.start,
            to=kpis.end,
            members=kpis.members,
            new_members=kpis.new_members,
            active_members=kpis.active_members,
            retention_rate=kpis.retention_rate,
            repeat_purchase_rate=kpis.repeat_purchase_rate,
            purchase_frequency=kpis.purchase_frequency,
            average_order_value=kpis.average_order_value,
            average_spend_per_active_member=kpis.average_spend_per_active_member,
            revenue=kpis.revenue,
            points_issued=kpis.points_issued,
            points_redeemed=kpis.points_redeemed,
            points_expired=kpis.points_expired,
            outstanding_points=kpis.outstanding_points,
            redemption_rate=kpis.redemption_rate,
            net_promoter_score=kpis.net_promoter_score,
        )
