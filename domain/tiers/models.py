"""Tortoise models of the tiers area."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Tier(Model):
    """A level of the program, configured by admins and keyed by code.

    A member holds the highest tier whose `qualifying_points` they earned in the rolling
    qualification window. Level 0 is the base tier every member starts in.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=80)
    #: Names per locale: {"es-MX": {"name": ...}} (domain.translations).
    translations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    level = fields.IntField(unique=True)
    #: Points earned in the qualification window needed to hold the tier.
    qualifying_points = fields.IntField()
    #: Applied to the points of every purchase made while the member holds the tier.
    points_multiplier = fields.DecimalField(max_digits=8, decimal_places=4, default=1)
    #: Benefit lines shown to members, in order.
    benefits: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "tier"
