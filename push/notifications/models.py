"""Tortoise models of notifications: the in-app feed, the member's preferences, the pushes.

A `Notification` is one row of a member's feed and carries the state of its push. Its push
goes to each of the member's devices through one `PushDelivery` per (notification, device),
created before anything is sent, so that a worker that dies mid-batch never sends twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Device, Member


class NotificationCategory(StrEnum):
    """What a notification is about: members opt in to pushes per category."""

    POINTS = "POINTS"
    BADGE = "BADGE"
    CHALLENGE = "CHALLENGE"
    TIER = "TIER"
    DROP = "DROP"
    PROMOTION = "PROMOTION"
    REFERRAL = "REFERRAL"
    REMINDER = "REMINDER"
    CAMPAIGN = "CAMPAIGN"


class PushStatus(StrEnum):
    """Where the push of a notification stands (the feed row exists whatever it is)."""

    #: Due at `next_attempt_at`: the delivery worker will send it.
    PENDING = "PENDING"
    #: Held back by the member's quiet hours until `next_attempt_at` (their end).
    HELD = "HELD"
    #: Handed to the delivery worker: one PushDelivery per device is under way.
    SENDING = "SENDING"
    #: Accepted by the push service for at least one device.
    SENT = "SENT"
    #: Not pushed, on purpose (see `push_reason`): feed only.
    SKIPPED = "SKIPPED"
    #: Every try failed (see `last_error`): in the feed, not on the phone.
    FAILED = "FAILED"


#: Statuses that use up one of the member's pushes of the day.
COUNTED_STATUSES = (PushStatus.PENDING, PushStatus.HELD, PushStatus.SENDING, PushStatus.SENT)


class Notification(Model):
    """One entry of a member's in-app feed, and the push that goes with it.

    `dedupe_key` is unique per member: an event delivered twice by the outbox, a campaign
    batch replayed after a crash or a promotion reported twice makes one notification.
    """

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="notifications", on_delete=fields.CASCADE
    )
    member_id: int
    category = fields.CharEnumField(NotificationCategory, max_length=16)
    title = fields.CharField(max_length=200)
    body = fields.CharField(max_length=1000)
    #: An app link to open, e.g. fidelio://drops/12.
    deep_link = fields.CharField(max_length=500, null=True)
    #: What the notification is about, e.g. "badge:12" or "campaign:spring-sale".
    dedupe_key = fields.CharField(max_length=160)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)
    push_status = fields.CharEnumField(PushStatus, max_length=8)
    #: Why a push was held or skipped, e.g. "quiet hours", "daily cap", "category off".
    push_reason = fields.CharField(max_length=64, null=True)
    #: When the push is (or was) due: creation, or the end of the quiet hours. Counts toward
    #: the daily cap of the member's local day it falls in.
    push_at = fields.DatetimeField(null=True)
    #: The most send attempts made to any one device.
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    sent_at = fields.DatetimeField(null=True)
    #: Extra strings for the app, sent as push data (badge id, drop id...).
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "notification"
        unique_together = (("member", "dedupe_key"),)
        indexes = (
            ("member_id", "id"),
            ("member_id", "read_at"),
            ("member_id", "push_at"),
            ("push_status", "next_attempt_at"),
            # A campaign's delivery figures count its notifications by their dedupe key.
            ("dedupe_key", "push_status"),
        )


class NotificationPreferences(Model):
    """What a member lets us push. Absent row: the defaults (everything, no quiet hours)."""

    id = fields.BigIntField(primary_key=True)
    member: fields.OneToOneRelation[Member] = fields.OneToOneField(
        "fidelio.Member", related_name="notification_preferences", on_delete=fields.CASCADE
    )
    member_id: int
    push_enabled = fields.BooleanField(default=True)
    #: Category names the member wants pushed, the others stay in the feed only.
    categories: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    #: Local "HH:MM" in the member's time zone, both set or both null. Start after end means
    #: the quiet hours cross midnight.
    quiet_hours_start = fields.CharField(max_length=5, null=True)
    quiet_hours_end = fields.CharField(max_length=5, null=True)
    max_pushes_per_day = fields.IntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "notification_preferences"


class DeliveryStatus(StrEnum):
    """Where the push of one notification to one device stands."""

    #: Created, waiting for a worker to claim it.
    QUEUED = "QUEUED"
    #: Claimed by a worker at `claimed_at`: being sent. A claim older than the lease is
    #: taken over by another worker (the first one died).
    SENDING = "SENDING"
    #: Failed transiently: tried again at `next_attempt_at`.
    RETRY = "RETRY"
    SENT = "SENT"
    #: The push service said the token is gone or invalid: the device was removed.
    DEVICE_GONE = "DEVICE_GONE"
    #: Failed for good (permanent error, or out of tries).
    FAILED = "FAILED"


#: Deliveries that still have to be sent.
OPEN_DELIVERY_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.RETRY)


class PushDelivery(Model):
    """The push of one notification to one device, at most one row per pair.

    Rows are created (queued) and claimed in committed transactions before the push service
    is called, so a second worker never sends the same pair, and a worker that dies mid-batch
    leaves claimed rows that are resumed after the lease, not duplicated.
    """

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "fidelio.Notification", related_name="deliveries", on_delete=fields.CASCADE
    )
    notification_id: int
    device: fields.ForeignKeyNullableRelation[Device] = fields.ForeignKeyField(
        "fidelio.Device", related_name="push_deliveries", null=True, on_delete=fields.SET_NULL
    )
    device_id: int | None
    #: The token at the time: the device row goes when the token is reported unregistered.
    token = fields.CharField(max_length=512)
    status = fields.CharEnumField(DeliveryStatus, max_length=12)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_at = fields.DatetimeField(null=True)
    #: Which worker round holds the claim.
    claim = fields.CharField(max_length=32, null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "push_delivery"
        unique_together = (("notification", "device"),)
        indexes = (("status", "next_attempt_at"), ("claim",))
