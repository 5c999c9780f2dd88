"""Tortoise models of exclusive drops: the drop (its window, stock and rules) and the claims.

A claim is one unit for one member. The UNIQUE constraint (drop, member, slot) is what keeps a
member within the per-member limit: an active claim holds a slot numbered 1..per_member_limit
(so with the usual limit of 1, one active claim per member per drop). A cancelled claim gives
its slot back (slot becomes null, and nulls never collide), so a member whose reservation
expired may try again while stock lasts, and the row stays as history.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.achievements.models import Badge
    from domain.members.models import Member
    from domain.points.models import PointsEntry


class DropMode(StrEnum):
    FIRST_COME = "FIRST_COME"
    RAFFLE = "RAFFLE"


class DropClaimStatus(StrEnum):
    #: First come: a unit is held for the member until `reserved_until` (or completed).
    RESERVED = "RESERVED"
    #: Raffle: the member entered and waits for the draw.
    ENTERED = "ENTERED"
    #: Raffle: the member won a unit.
    WON = "WON"
    #: Raffle: the member was not drawn.
    LOST = "LOST"
    #: Released (reservation expired) or forfeited (a winner who could not pay at the draw).
    CANCELLED = "CANCELLED"


class CancelReason(StrEnum):
    EXPIRED = "EXPIRED"
    FORFEITED = "FORFEITED"


class Drop(Model):
    """A limited product offered to members in a window, first come or by raffle.

    `remaining` is the stock still free: first come, it drops at each claim and comes back
    when a reservation is released, always through conditional updates. A raffle keeps it at
    `quantity` until the draw takes the winners' units.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=120)
    description = fields.CharField(max_length=2000)
    #: Names and descriptions per locale: {"es-MX": {"name" (the title): ..., "description": ...}}
    #: (domain.translations).
    translations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    image_url = fields.CharField(max_length=500, null=True)
    mode = fields.CharEnumField(DropMode, max_length=12)
    opens_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()
    quantity = fields.IntField()
    remaining = fields.IntField()
    price_points = fields.IntField(default=0)
    per_member_limit = fields.IntField(default=1)
    min_tier_level = fields.IntField(default=0)
    required_badge: fields.ForeignKeyNullableRelation[Badge] = fields.ForeignKeyField(
        "fidelio.Badge", related_name="drops", null=True, on_delete=fields.RESTRICT
    )
    required_badge_id: int | None
    #: Kept as given: only members of this segment may claim (checked when segments exist).
    segment_code = fields.CharField(max_length=64, null=True)
    #: Members at or above this tier level may claim `early_access_minutes` before `opens_at`.
    early_access_tier_level = fields.IntField(null=True)
    early_access_minutes = fields.IntField(default=0)
    #: Whether DropOpened events announce the opening (push fans them out).
    announce = fields.BooleanField(default=True)
    #: Markers of the announcement phases already done (each announced once).
    early_announced_at = fields.DatetimeField(null=True)
    announced_at = fields.DatetimeField(null=True)
    #: Raffle: the seed of the draw and when it happened (null until drawn).
    raffle_seed = fields.CharField(max_length=128, null=True)
    drawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "exclusive_drop"
        indexes = (("closes_at",), ("opens_at",))


class DropClaim(Model):
    """One unit of a drop for one member: a reservation (first come) or a raffle entry."""

    id = fields.BigIntField(primary_key=True)
    drop: fields.ForeignKeyRelation[Drop] = fields.ForeignKeyField(
        "fidelio.Drop", related_name="claims", on_delete=fields.RESTRICT
    )
    drop_id: int
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="drop_claims", on_delete=fields.RESTRICT
    )
    member_id: int
    status = fields.CharEnumField(DropClaimStatus, max_length=12)
    #: 1..per_member_limit while the claim holds a unit or an entry, null once cancelled.
    slot = fields.IntField(null=True)
    #: The code the shop takes at checkout (prefix DR-), once reserved or won.
    coupon_code = fields.CharField(max_length=32, unique=True, null=True)
    #: The client's retry key: the same key for the same drop returns this claim.
    idempotency_key = fields.CharField(max_length=64, null=True)
    #: First come: when an uncompleted reservation goes back to stock.
    reserved_until = fields.DatetimeField(null=True)
    #: The ledger debit that paid the price (null when free or not yet charged).
    points_entry: fields.ForeignKeyNullableRelation[PointsEntry] = fields.ForeignKeyField(
        "fidelio.PointsEntry", related_name="drop_claims", null=True, on_delete=fields.RESTRICT
    )
    points_entry_id: int | None
    points_spent = fields.IntField(default=0)
    #: The shop order that completed the purchase with the coupon.
    order_id = fields.CharField(max_length=128, null=True)
    completed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharEnumField(CancelReason, max_length=12, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "drop_claim"
        unique_together = (("drop", "member", "slot"), ("drop", "member", "idempotency_key"))
        indexes = (("status", "reserved_until"), ("drop_id", "status"), ("member_id", "drop_id"))
