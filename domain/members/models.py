"""Tortoise models of the members area."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Member(Model):
    """A shop customer in the loyalty program, created from the token subject on first sight.

    `customer_id` is the shop's id for the customer; it is cleared when the member erases
    their account (the anonymised row stays, so the ledger and the figures remain true).
    """

    id = fields.BigIntField(primary_key=True)
    customer_id = fields.CharField(max_length=128, unique=True, null=True)
    display_name = fields.CharField(max_length=80, default="")
    email = fields.CharField(max_length=254, null=True)
    locale = fields.CharField(max_length=16, default="en")
    time_zone = fields.CharField(max_length=64, default="UTC")
    country = fields.CharField(max_length=2, null=True)
    city = fields.CharField(max_length=80, null=True)
    birth_date = fields.DateField(null=True)
    referral_code = fields.CharField(max_length=16, unique=True)
    joined_at = fields.DatetimeField()
    #: The tier held now (level 0 is the base tier). Kept by the tiers area: upgrades at once,
    #: downgrades when the qualification window no longer supports the tier.
    tier_level = fields.IntField(default=0)
    tier_code = fields.CharField(max_length=32, null=True)
    erased_at = fields.DatetimeField(null=True)
    #: When a column that segments read last changed after joining (tier, country, city, birth
    #: date, erasure): the segment counts re-examine such members only. Null: not since joining.
    inputs_changed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member"
        # Indexes, not `db_index` on the fields: on SQLite, tortoise's AlterField rebuilds the
        # table and leaves its indexes and constraints behind.
        indexes = (("joined_at",), ("inputs_changed_at",), ("birth_date",))


class Platform(StrEnum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


class Device(Model):
    """A push token of one app installation of the member. A token has one owner."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="devices", on_delete=fields.CASCADE
    )
    member_id: int
    token = fields.CharField(max_length=512, unique=True)
    platform = fields.CharEnumField(Platform, max_length=8)
    app_version = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()

    class Meta:
        table = "device"
