"""Tortoise models of stores (each with its circular geofence), promotions and their triggers."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member


class GeofenceTransition(StrEnum):
    ENTER = "ENTER"
    DWELL = "DWELL"
    EXIT = "EXIT"


class Store(Model):
    """A physical store and the circle around it the app monitors (the store's geofence,
    whose id is the store's). Radius 50 m to 50 km."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    address = fields.CharField(max_length=300, null=True)
    latitude = fields.FloatField()
    longitude = fields.FloatField()
    geofence_radius_m = fields.FloatField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "store"


class Promotion(Model):
    """Something a member gets for coming by a store: bonus points and/or a coupon, and a
    push with `title` and `message`. Active in [starts_at, ends_at), for the stores listed
    (none: every store), the transitions listed, and the segment if one is named.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=100)
    message = fields.CharField(max_length=500)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    #: Store codes, empty for every store.
    store_codes: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    segment_code = fields.CharField(max_length=64, null=True)
    bonus_points = fields.IntField(default=0)
    reward_code = fields.CharField(max_length=64, null=True)
    cooldown_hours = fields.IntField(default=24)
    #: GeofenceTransition names that trigger it.
    transitions: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "promotion"
        indexes = (("starts_at", "ends_at"),)


class PromotionTrigger(Model):
    """A promotion a member got, at most once per cooldown: the cooldown window the trigger
    opened is part of a unique key, so concurrent reports cannot both win."""

    id = fields.BigIntField(primary_key=True)
    promotion: fields.ForeignKeyRelation[Promotion] = fields.ForeignKeyField(
        "fidelio.Promotion", related_name="triggers", on_delete=fields.CASCADE
    )
    promotion_id: int
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="promotion_triggers", on_delete=fields.CASCADE
    )
    member_id: int
    store: fields.ForeignKeyNullableRelation[Store] = fields.ForeignKeyField(
        "fidelio.Store", related_name="promotion_triggers", null=True, on_delete=fields.SET_NULL
    )
    store_id: int | None
    #: Start of the cooldown window (the trigger time floored to whole cooldowns since epoch).
    window_start = fields.DatetimeField()
    triggered_at = fields.DatetimeField()
    transition = fields.CharEnumField(GeofenceTransition, max_length=8)
    bonus_points = fields.IntField(default=0)
    coupon_code = fields.CharField(max_length=64, null=True)
    notification_id = fields.BigIntField(null=True)

    class Meta:
        table = "promotion_trigger"
        unique_together = (("promotion", "member", "window_start"),)
        indexes = (("member_id", "promotion_id", "triggered_at"),)
