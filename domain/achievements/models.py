"""Tortoise models of badges, challenges and the progress of members towards them.

The rules engine (gamification) awards them. They live in the domain because other domain
areas ask about them (segments: holds a badge, drops: required badge).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member


class Badge(Model):
    """An achievement defined by admins as data: a rule over the member events."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    description = fields.CharField(max_length=500)
    #: Names and descriptions per locale: {"es-MX": {"name": ..., "description": ...}}
    #: (domain.translations).
    translations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    icon_url = fields.CharField(max_length=500, null=True)
    secret = fields.BooleanField(default=False)
    #: The rule as JSON (gamification.rules.Rule.to_json()).
    rule: fields.JSONField[Any] = fields.JSONField()
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
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="badges", on_delete=fields.CASCADE
    )
    member_id: int
    badge: fields.ForeignKeyRelation[Badge] = fields.ForeignKeyField(
        "fidelio.Badge", related_name="holders", on_delete=fields.CASCADE
    )
    badge_id: int
    earned_at = fields.DatetimeField()

    class Meta:
        table = "member_badge"
        unique_together = (("member", "badge"),)
        indexes = (("earned_at",),)


class Challenge(Model):
    """A time-boxed goal: a rule to reach between `starts_at` and `ends_at`, once per period.

    With a recurrence (DAILY, WEEKLY, MONTHLY) progress starts from zero each period, in the
    member's time zone, and the challenge can be completed once per period.
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=120)
    description = fields.CharField(max_length=500)
    #: Names and descriptions per locale: {"es-MX": {"name" (the title): ..., "description": ...}}
    #: (domain.translations).
    translations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    #: The contract's Recurrence name: NONE, DAILY, WEEKLY or MONTHLY.
    recurrence = fields.CharField(max_length=8, default="NONE")
    #: The goal as JSON (gamification.rules.Rule.to_json()).
    goal: fields.JSONField[Any] = fields.JSONField()
    reward_points = fields.IntField(default=0)
    reward_badge: fields.ForeignKeyNullableRelation[Badge] = fields.ForeignKeyField(
        "fidelio.Badge", related_name="rewarding_challenges", null=True, on_delete=fields.SET_NULL
    )
    reward_badge_id: int | None
    #: Only members of this segment see it and progress in it (null: everyone).
    segment_code = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "challenge"
        indexes = (("starts_at", "ends_at"),)


class ChallengeCompletion(Model):
    """A member completed a challenge in one of its periods (`period_key`, e.g. "2026-W13")."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="challenge_completions", on_delete=fields.CASCADE
    )
    member_id: int
    challenge: fields.ForeignKeyRelation[Challenge] = fields.ForeignKeyField(
        "fidelio.Challenge", related_name="completions", on_delete=fields.CASCADE
    )
    challenge_id: int
    period_key = fields.CharField(max_length=16)
    completed_at = fields.DatetimeField()
    #: Bonus points credited for it.
    points = fields.IntField(default=0)

    class Meta:
        table = "challenge_completion"
        unique_together = (("member", "challenge", "period_key"),)
        indexes = (("challenge_id", "completed_at"),)


class RuleProgress(Model):
    """How far one member has come towards a badge's rule or a challenge's goal in one period.

    Exactly one of `badge` and `challenge` is set. Badges use the period key "all".
    `state` is the rules core's ProgressState as JSON, valid for the rule whose fingerprint
    is `rule_fingerprint`: when an admin edits the rule the stored state no longer applies and
    progress starts again (a badge already earned stays earned).
    """

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="rule_progress", on_delete=fields.CASCADE
    )
    member_id: int
    badge: fields.ForeignKeyNullableRelation[Badge] = fields.ForeignKeyField(
        "fidelio.Badge", related_name="progress", null=True, on_delete=fields.CASCADE
    )
    badge_id: int | None
    challenge: fields.ForeignKeyNullableRelation[Challenge] = fields.ForeignKeyField(
        "fidelio.Challenge", related_name="progress", null=True, on_delete=fields.CASCADE
    )
    challenge_id: int | None
    period_key = fields.CharField(max_length=16, default="all")
    #: gamification.rules.ProgressState.to_json()
    state: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    #: The rule's value when the state was last written (windows decay: read models recompute).
    current = fields.DecimalField(max_digits=16, decimal_places=2, default=0)
    rule_fingerprint = fields.CharField(max_length=16)
    #: When the target was reached (the badge earned, the challenge period completed).
    completed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "rule_progress"
        unique_together = (("member", "badge", "period_key"), ("member", "challenge", "period_key"))


class BackfillRun(Model):
    """A back-fill of one badge over the recorded history, started from the console and run
    in the background, batch after batch. The row is the run's state: a process that dies
    leaves it RUNNING with an old `heartbeat_at`, and the `resume-backfills` job carries on
    from `after_member_id` (back-fill is idempotent, so a batch done twice awards nothing)."""

    id = fields.BigIntField(primary_key=True)
    badge_code = fields.CharField(max_length=64)
    #: RUNNING, DONE or FAILED.
    status = fields.CharField(max_length=8, default="RUNNING")
    batch_size = fields.IntField(default=500)
    #: Members looked at so far, and members there were when the run started.
    done = fields.IntField(default=0)
    total = fields.IntField(default=0)
    #: The last member id of the last finished batch (the next batch starts after it).
    after_member_id = fields.BigIntField(default=0)
    awarded = fields.IntField(default=0)
    #: Why a FAILED run stopped.
    error = fields.CharField(max_length=500, null=True)
    started_by = fields.CharField(max_length=200)
    started_at = fields.DatetimeField()
    #: Written after each batch: a RUNNING run whose heartbeat is old was left by a dead process.
    heartbeat_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "backfill_run"
        indexes = (("status", "heartbeat_at"),)
