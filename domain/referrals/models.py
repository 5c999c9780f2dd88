"""Tortoise models of engagement (shares, reviews, surveys) and referrals."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member
    from domain.points.models import PointsEntry
    from domain.purchases.models import Purchase


class EngagementKind(StrEnum):
    SHARE = "SHARE"
    REVIEW = "REVIEW"
    SURVEY = "SURVEY"


class Engagement(Model):
    """A share, review or survey answer, once per (member, kind, reference)."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="engagements", on_delete=fields.RESTRICT
    )
    member_id: int
    kind = fields.CharEnumField(EngagementKind, max_length=8)
    reference = fields.CharField(max_length=200)
    #: 0-10 for surveys asking how likely the member is to recommend the shop (NPS).
    score = fields.IntField(null=True)
    occurred_at = fields.DatetimeField()
    #: The day in the member's time zone, for the daily cap.
    local_date = fields.DateField()
    points_awarded = fields.IntField(default=0)

    class Meta:
        table = "engagement"
        unique_together = (("member", "kind", "reference"),)
        indexes = (("member_id", "kind", "local_date"), ("occurred_at", "member_id"))


class ReferralStatus(StrEnum):
    #: The referee applied the code and has not purchased yet.
    APPLIED = "APPLIED"
    #: The referee's first purchase was recorded: both were credited (pending like purchase
    #: points until the return window ends).
    COMPLETED = "COMPLETED"
    #: The referee's first order was refunded inside the return window: nothing is awarded.
    CANCELLED = "CANCELLED"


class Referral(Model):
    """A member (the referee) who joined with another member's (the referrer's) code.

    A member is referred at most once. `referrer_points` and `referee_points` are what was
    credited on completion (the referrer gets 0 beyond the monthly cap).
    """

    id = fields.BigIntField(primary_key=True)
    referrer: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="referrals_made", on_delete=fields.RESTRICT
    )
    referrer_id: int
    referee: fields.OneToOneRelation[Member] = fields.OneToOneField(
        "fidelio.Member", related_name="referral_received", on_delete=fields.RESTRICT
    )
    referee_id: int
    status = fields.CharEnumField(ReferralStatus, max_length=10, default=ReferralStatus.APPLIED)
    applied_at = fields.DatetimeField()
    #: The referee's first purchase, once recorded.
    purchase: fields.ForeignKeyNullableRelation[Purchase] = fields.ForeignKeyField(
        "fidelio.Purchase", related_name="referrals", null=True, on_delete=fields.RESTRICT
    )
    purchase_id: int | None
    completed_at = fields.DatetimeField(null=True)
    #: When the referral credits become spendable: a refund before then cancels them.
    available_at = fields.DatetimeField(null=True)
    referrer_points = fields.IntField(default=0)
    referee_points = fields.IntField(default=0)
    referrer_credit: fields.ForeignKeyNullableRelation[PointsEntry] = fields.ForeignKeyField(
        "fidelio.PointsEntry", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    referrer_credit_id: int | None
    referee_credit: fields.ForeignKeyNullableRelation[PointsEntry] = fields.ForeignKeyField(
        "fidelio.PointsEntry", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    referee_credit_id: int | None
    #: The referrer had reached the monthly cap: the referral completed without their reward.
    referrer_capped = fields.BooleanField(default=False)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "referral"
        indexes = (("referrer_id", "completed_at"),)
