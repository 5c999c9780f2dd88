"""Tortoise models of purchases and refunds reported by the shop."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member


class Channel(StrEnum):
    APP = "APP"
    WEB = "WEB"
    STORE = "STORE"


class Purchase(Model):
    """An order the shop recorded, once per order id, with the points it earned."""

    id = fields.BigIntField(primary_key=True)
    order_id = fields.CharField(max_length=128, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="purchases", on_delete=fields.RESTRICT
    )
    member_id: int
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    refunded_amount = fields.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = fields.CharField(max_length=3)
    channel = fields.CharEnumField(Channel, max_length=8)
    store_code = fields.CharField(max_length=64, null=True)
    occurred_at = fields.DatetimeField()
    recorded_at = fields.DatetimeField()
    points_earned = fields.IntField(default=0)
    #: Distinct item categories, for rules and segments.
    categories: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    #: [{sku, category, quantity, unitPrice}] as sent by the shop.
    items: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    #: What recording the order unlocked (badge ids, challenge ids, new tier code, points
    #: awarded), so that a retry of the same order gets the first answer again.
    awards: fields.JSONField[Any] = fields.JSONField(null=True)

    class Meta:
        table = "purchase"
        #: Both cover the amounts, so that segments (per member) and key figures (per period)
        #: are answered from the index alone.
        indexes = (
            ("member_id", "occurred_at", "amount", "refunded_amount", "channel"),
            ("occurred_at", "member_id", "amount", "refunded_amount"),
            ("recorded_at",),
        )


class Refund(Model):
    """A refund of part or all of a purchase, once per refund id."""

    id = fields.BigIntField(primary_key=True)
    refund_id = fields.CharField(max_length=128, unique=True)
    purchase: fields.ForeignKeyRelation[Purchase] = fields.ForeignKeyField(
        "fidelio.Purchase", related_name="refunds", on_delete=fields.RESTRICT
    )
    purchase_id: int
    amount = fields.DecimalField(max_digits=14, decimal_places=2)
    points_reversed = fields.IntField(default=0)
    #: Points that could not be taken back because they were already spent.
    points_shortfall = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "refund"
        #: The leaderboards' purchase aggregates look up each purchase's last refund.
        indexes = (("created_at",), ("purchase_id",))
