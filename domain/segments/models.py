"""Tortoise models of segments."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Segment(Model):
    """A named set of members defined by a rule, for targeting campaigns, drops and challenges.

    Membership is always computed from the rule (never stored per member). `member_count` is
    the size counted at `counted_at`, refreshed on every upsert and by the periodic job, so
    that listing segments stays cheap.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    #: The conditions under the contract's names (SegmentRuleInput), see SegmentRule.to_json.
    rule: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    member_count = fields.IntField(default=0)
    counted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "segment"


class SegmentMember(Model):
    """A member of a segment as of its segment's last count (`segment-counts` job): what
    lets the job recount only the members whose inputs changed. Reads never use it (the rule
    answers them as of any moment)."""

    id = fields.BigIntField(primary_key=True)
    segment: fields.ForeignKeyRelation[Segment] = fields.ForeignKeyField(
        "fidelio.Segment", related_name="counted_members", on_delete=fields.CASCADE
    )
    segment_id: int
    member_id = fields.BigIntField()

    class Meta:
        table = "segment_member"
        unique_together = (("segment", "member_id"),)
