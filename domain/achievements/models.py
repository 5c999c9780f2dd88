"""Tortoise models of badges held by members.

The rules engine (gamification) awards them. They live in the domain because other domain
areas ask about them (segments: holds a badge, drops: required badge).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Badge(Model):
    """An achievement defined by admins as data: a rule over the member events."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    description = fields.CharField(max_length=500)
    icon_url = fields.CharField(max_length=500, null=True)
    secret = fields.BooleanField(default=False)
    #: The rule as JSON (gamification.rules.Rule.to_json()).
    rule = fields.JSONField()
    reward_points = fields.IntField(default=0)
    #: How many members hold it (kept as a counter so rarity is cheap to read).
    holders_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "badge"


class MemberBadge(Model):
    """A badge a member earned, once."""

    id = fields.BigIntField(primary_key=True)
    member = fields.ForeignKeyField(
        "fidelio.Member", related_name="badges", on_delete=fields.CASCADE
    )
    badge = fields.ForeignKeyField(
        "fidelio.Badge", related_name="holders", on_delete=fields.CASCADE
    )
    earned_at = fields.DatetimeField()

    class Meta:
        table = "member_badge"
        unique_together = (("member", "badge"),)
