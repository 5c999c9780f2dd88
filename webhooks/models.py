"""Tortoise models of webhooks: endpoints, the events sent to them and each delivery."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class WebhookEndpoint(Model):
    """A URL of the shop that receives the event types it subscribed to, signed with its
    secret. While `previous_secret_expires_at` lies ahead, deliveries carry a second signature
    made with the previous secret (a rotation without downtime)."""

    id = fields.BigIntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, default="")
    secret = fields.CharField(max_length=256)
    previous_secret = fields.CharField(max_length=256, null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    #: The wire names of the event types wanted ("points.earned", ...).
    event_types: list[str] = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    secret_rotated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_endpoint"


class WebhookEvent(Model):
    """One event as the shop receives it: its id (the shop deduplicates on it), type and the
    exact JSON body, shared by every endpoint and every attempt, replays included."""

    id = fields.CharField(max_length=40, primary_key=True)
    type = fields.CharField(max_length=40)
    created_at = fields.DatetimeField()
    #: The member the event is about, and a second one (a referral's referrer): erasure
    #: redacts the events of a member by these.
    member_id = fields.BigIntField(null=True)
    related_member_id = fields.BigIntField(null=True)
    body = fields.TextField()
    redacted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_event"
        indexes = (("member_id",), ("related_member_id",))


class DeliveryStatus(StrEnum):
    #: Waiting for its first attempt or its next retry (`next_attempt_at`).
    PENDING = "PENDING"
    #: Claimed by a worker, on its way (`claimed_at`; taken over after the lease).
    SENDING = "SENDING"
    #: The endpoint answered 2xx.
    DELIVERED = "DELIVERED"
    #: No 2xx within the retry window: given up (a replay sends it again).
    FAILED = "FAILED"
    #: Withdrawn before it was delivered: the member it is about erased their account.
    CANCELLED = "CANCELLED"


class WebhookDelivery(Model):
    """One event for one endpoint, and how its attempts went."""

    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[WebhookEvent] = fields.ForeignKeyField(
        "fidelio.WebhookEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: int
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "fidelio.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: int
    status = fields.CharEnumField(DeliveryStatus, max_length=10, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    next_attempt_at = fields.DatetimeField(null=True)
    #: After this moment a failed attempt is the last one (a replay moves it on).
    give_up_at = fields.DatetimeField()
    claim = fields.CharField(max_length=32, null=True)
    claimed_at = fields.DatetimeField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    response_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    delivered_at = fields.DatetimeField(null=True)
    replays = fields.IntField(default=0)

    class Meta:
        table = "webhook_delivery"
        unique_together = (("event", "endpoint"),)
        indexes = (("status", "next_attempt_at"), ("endpoint_id", "id"))
