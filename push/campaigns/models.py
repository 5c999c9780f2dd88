"""Tortoise model of campaigns: one message fanned out to an audience in resumable batches."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from push.notifications.models import NotificationCategory


class CampaignStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    SENDING = "SENDING"
    SENT = "SENT"


class CampaignSource(StrEnum):
    #: Written by an admin (sendCampaign): a text per locale, placeholders filled per member.
    ADMIN = "ADMIN"
    #: A drop opening announced to its audience: a template in each member's language.
    DROP = "DROP"


class Campaign(Model):
    """A message to a segment (or everyone, or a drop's tiers), sent at `send_at`.

    The fan-out walks the audience by member id: `cursor` is the last member id done, moved
    in the same transaction as that batch's notifications, so a crash resumes where it was
    and the unique (member, dedupe key) of notifications makes a replay harmless.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    source = fields.CharEnumField(CampaignSource, max_length=8, default=CampaignSource.ADMIN)
    category = fields.CharEnumField(NotificationCategory, max_length=16)
    title = fields.CharField(max_length=200)
    body = fields.CharField(max_length=1000)
    #: Admin campaigns: {locale: {"title": ..., "body": ...}} beside the base title and body
    #: (push.campaigns.texts).
    texts: fields.JSONField[dict[str, dict[str, str]]] = fields.JSONField(
        default=dict,
        description='Admin campaigns: {locale: {"title", "body"}} beside the base title and body.',
    )
    deep_link = fields.CharField(max_length=500, null=True)
    #: Template key and values when the text is rendered per member (drops).
    template = fields.CharField(max_length=64, null=True)
    template_params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    #: The notifications' dedupe key, e.g. "campaign:spring-sale" or "drop:12".
    dedupe_key = fields.CharField(max_length=160)
    #: Audience: a segment, or members at or above a tier level, or (both null) everyone.
    segment_code = fields.CharField(max_length=64, null=True)
    min_tier_level = fields.IntField(null=True)
    bonus_points = fields.IntField(default=0)
    send_at = fields.DatetimeField()
    status = fields.CharEnumField(CampaignStatus, max_length=10)
    #: Members who got the notification so far.
    recipients = fields.IntField(default=0)
    cursor = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "campaign"
        indexes = (("status", "send_at"),)
