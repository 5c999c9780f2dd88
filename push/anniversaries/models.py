"""Tortoise model of the anniversary offer the admins configure."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AnniversaryOffer(Model):
    """What members get on the anniversary of their first purchase: one row (id 1), none
    until an admin configures it (then nothing is sent)."""

    id = fields.IntField(primary_key=True)
    enabled = fields.BooleanField(default=False)
    #: Bonus points credited with the greeting (0: none).
    points = fields.IntField(default=0)
    #: A reward handed out as a coupon without spending points (null: none).
    reward_code = fields.CharField(max_length=64, null=True)
    #: Anniversaries are celebrated from this local hour on (the member's time zone).
    local_hour = fields.IntField(default=9)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "anniversary_offer"
