"""Tortoise models of the rewards catalogue and of the coupons members redeem."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member
    from domain.points.models import PointsEntry


class RewardKind(StrEnum):
    PERCENT_DISCOUNT = "PERCENT_DISCOUNT"
    FIXED_DISCOUNT = "FIXED_DISCOUNT"
    FREE_SHIPPING = "FREE_SHIPPING"
    PRODUCT = "PRODUCT"


DISCOUNT_KINDS = frozenset({RewardKind.PERCENT_DISCOUNT, RewardKind.FIXED_DISCOUNT})


class Reward(Model):
    """Something members spend points on, kept by code (upsertReward).

    `stock` is how many coupons the admin made available in total (null: unlimited) and
    `remaining_stock` how many can still be issued. A redemption takes one with a conditional
    update, a coupon that expires or is cancelled unused gives it back.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    description = fields.CharField(max_length=1000, default="")
    #: Names and descriptions per locale: {"es-MX": {"name": ..., "description": ...}}
    #: (domain.translations).
    translations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    kind = fields.CharEnumField(RewardKind, max_length=20)
    cost_points = fields.IntField()
    #: The percent (0-100] or the amount off, for discounts only.
    value = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    min_tier_level = fields.IntField(default=0)
    stock = fields.IntField(null=True)
    remaining_stock = fields.IntField(null=True)
    #: Most coupons of this reward one member may hold or have used (null: no limit).
    per_member_limit = fields.IntField(null=True)
    #: Days a coupon stays valid after redemption (null: it never expires).
    coupon_valid_days = fields.IntField(null=True, default=30)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "reward"
        indexes = (("active", "cost_points"),)


class CouponStatus(StrEnum):
    ACTIVE = "ACTIVE"
    USED = "USED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class Redemption(Model):
    """A reward a member redeemed, and the coupon it issued (one code, used at most once).

    `idempotency_key` is unique per member: a retried redemption returns the first one.
    Coupons granted without spending points (a promotion) carry their reference there.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="redemptions", on_delete=fields.RESTRICT
    )
    member_id: int
    reward: fields.ForeignKeyRelation[Reward] = fields.ForeignKeyField(
        "fidelio.Reward", related_name="redemptions", on_delete=fields.RESTRICT
    )
    reward_id: int
    points_spent = fields.IntField()
    #: The ledger debit that paid for the coupon (null when it cost nothing).
    debit_entry: fields.ForeignKeyNullableRelation[PointsEntry] = fields.ForeignKeyField(
        "fidelio.PointsEntry", related_name="redemptions", null=True, on_delete=fields.RESTRICT
    )
    debit_entry_id: int | None
    status = fields.CharEnumField(CouponStatus, max_length=10, default=CouponStatus.ACTIVE)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    used_at = fields.DatetimeField(null=True)
    used_order_id = fields.CharField(max_length=128, null=True)
    #: When the coupon expired or was cancelled.
    closed_at = fields.DatetimeField(null=True)
    #: Points given back when the coupon expired or was cancelled unused.
    points_returned = fields.IntField(default=0)
    idempotency_key = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "redemption"
        unique_together = (("member", "idempotency_key"),)
        indexes = (("member_id", "reward_id", "status"), ("status", "expires_at"))

    def status_at(self, now: datetime) -> CouponStatus:
        """The status as the shop should see it: an active coupon past its expiry is expired,
        even before the expiry job has marked it."""
        if (
            self.status == CouponStatus.ACTIVE
            and self.expires_at is not None
            and self.expires_at <= now
        ):
            return CouponStatus.EXPIRED
        return self.status
