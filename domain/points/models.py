"""Tortoise models of the points ledger.

The ledger is append-only: an entry's `delta`, kind and dates never change. Credits are lots:
`remaining` says how much of the lot is still unspent, and every debit records which lots it
consumed in `PointsAllocation`, so that for each credit `remaining == delta - sum(allocations)`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member


class EntryKind(StrEnum):
    EARN = "EARN"
    BONUS = "BONUS"
    REFERRAL = "REFERRAL"
    ENGAGEMENT = "ENGAGEMENT"
    REDEEM = "REDEEM"
    REVERSAL = "REVERSAL"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"


class EarningRules(Model):
    """The program's earning rules: one row (id 1), replaced by configureEarningRules."""

    id = fields.IntField(primary_key=True)
    points_per_currency_unit = fields.DecimalField(max_digits=10, decimal_places=4, default=1)
    #: {category: multiplier}
    category_multipliers: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    #: {channel (APP, WEB, STORE): multiplier}, 1 for a channel not listed
    channel_multipliers: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    pending_days = fields.IntField(default=14)
    expiry_days = fields.IntField(null=True)
    tier_window_months = fields.IntField(default=12)
    referrer_points = fields.IntField(default=500)
    referee_points = fields.IntField(default=250)
    share_points = fields.IntField(default=10)
    review_points = fields.IntField(default=50)
    survey_points = fields.IntField(default=25)
    engagement_daily_cap = fields.IntField(default=3)
    #: Whether points come back for a coupon that expired unused.
    refund_expired_coupons = fields.BooleanField(default=True)
    #: Most referral rewards a referrer can receive in one calendar month.
    referrer_monthly_cap = fields.IntField(default=10)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "earning_rules"


class PointsEntry(Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="points_entries", on_delete=fields.RESTRICT
    )
    member_id: int
    kind = fields.CharEnumField(EntryKind, max_length=12)
    #: Positive for credits, negative for debits.
    delta = fields.IntField()
    #: Credits: the part of the lot not yet consumed by debits. Debits: always 0.
    remaining = fields.IntField(default=0)
    #: Debits: points that could not be taken because the balance did not hold them
    #: (a refund of points already spent). Never turns into a negative balance.
    shortfall = fields.IntField(default=0)
    description = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    #: Credits: when the points become spendable (end of the return window).
    available_at = fields.DatetimeField(null=True)
    #: Credits: when unspent points expire (null: never).
    expires_at = fields.DatetimeField(null=True)
    #: What the entry is about, e.g. "order:A-1001", "redemption:17".
    reference = fields.CharField(max_length=160, null=True)
    #: Who made a manual adjustment.
    actor = fields.CharField(max_length=160, null=True)

    class Meta:
        table = "points_entry"
        indexes = (
            ("member_id", "id"),
            ("member_id", "remaining"),
            ("reference",),
            ("expires_at",),
            # The tier review and the expiry reminders read the entries written, aged out or
            # become spendable since their last run.
            ("created_at",),
            ("available_at",),
        )


class PointsAllocation(Model):
    """`points` of credit `credit` consumed by debit `debit`."""

    id = fields.BigIntField(primary_key=True)
    debit: fields.ForeignKeyRelation[PointsEntry] = fields.ForeignKeyField(
        "fidelio.PointsEntry", related_name="allocations", on_delete=fields.RESTRICT
    )
    debit_id: int
    credit: fields.ForeignKeyRelation[PointsEntry] = fields.ForeignKeyField(
        "fidelio.PointsEntry", related_name="consumptions", on_delete=fields.RESTRICT
    )
    credit_id: int
    points = fields.IntField()

    class Meta:
        table = "points_allocation"


class PointsExpiryReminder(Model):
    """A reminder raised for the member's points expiring at `expires_at`, kept so that a rerun
    of the reminder job never reminds the same batch twice."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="expiry_reminders", on_delete=fields.CASCADE
    )
    member_id: int
    expires_at = fields.DatetimeField()
    points = fields.IntField()
    sent_at = fields.DatetimeField()

    class Meta:
        table = "points_expiry_reminder"
        unique_together = (("member", "expires_at"),)
