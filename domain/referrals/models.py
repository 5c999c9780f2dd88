"""Tortoise models of engagement (shares, reviews, surveys) and referrals."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EngagementKind(StrEnum):
    SHARE = "SHARE"
    REVIEW = "REVIEW"
    SURVEY = "SURVEY"


class Engagement(Model):
    """A share, review or survey answer, once per (member, kind, reference)."""

    id = fields.BigIntField(primary_key=True)
    member = fields.ForeignKeyField(
        "fidelio.Member", related_name="engagements", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(EngagementKind, max_length=8)
    reference = fields.CharField(max_length=200)
    #: 0-10 for surveys asking how likely the member is to recommend the shop (NPS).
    score = fields.IntField(null=True)
    occurred_at = fields.DatetimeField()
    #: The day in the member's time zone, for the daily cap.
    local_date = fields.DateField()
    points_awarded = fields.IntField(default=0)

    class Meta:
        table = "engagement"
        unique_together = (("member", "kind", "reference"),)
        indexes = (("member_id", "kind", "local_date"), ("occurred_at", "member_id"))
