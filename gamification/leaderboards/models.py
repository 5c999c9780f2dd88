"""Tortoise models of leaderboards: definitions, archived standings of closed periods, prizes.

Scores of open periods live in Redis (derived state, rebuilt from purchases, the ledger and
challenge completions). What must outlive Redis is here: the definitions, the final standings of
every closed period and the prizes paid for them.

`region` is the empty string for boards without regions, so that unique constraints hold
(NULLs are never equal in SQL).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member
    from domain.points.models import PointsEntry

NO_REGION = ""


class LeaderboardMetric(StrEnum):
    """What a board ranks; values match the GraphQL enum `LeaderboardMetric`."""

    POINTS_EARNED = "POINTS_EARNED"
    AMOUNT_SPENT = "AMOUNT_SPENT"
    PURCHASES = "PURCHASES"
    CHALLENGES_COMPLETED = "CHALLENGES_COMPLETED"


class RegionField(StrEnum):
    """The member profile field that splits a board into one board per value."""

    COUNTRY = "COUNTRY"
    CITY = "CITY"


class LeaderboardDefinition(Model):
    """A board defined by admins: what it ranks, the windows kept, regions and prizes."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    metric = fields.CharEnumField(LeaderboardMetric, max_length=24)
    #: Window names in the order given, e.g. ["WEEKLY", "ALL_TIME"].
    windows: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    region_field = fields.CharEnumField(RegionField, max_length=8, null=True)
    #: Bonus points for ranks 1, 2, 3 and so on when a period closes.
    prize_points: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "leaderboard_definition"


class LeaderboardArchive(Model):
    """The final standings of one closed period of a board, window and region, once."""

    id = fields.BigIntField(primary_key=True)
    board: fields.ForeignKeyRelation[LeaderboardDefinition] = fields.ForeignKeyField(
        "fidelio.LeaderboardDefinition", related_name="archives", on_delete=fields.CASCADE
    )
    board_id: int
    window = fields.CharField(max_length=12)
    period_key = fields.CharField(max_length=16)
    #: The region value, or the empty string for a board without regions.
    region = fields.CharField(max_length=80, default=NO_REGION)
    period_start = fields.DatetimeField(null=True)
    period_end = fields.DatetimeField(null=True)
    total_entries = fields.IntField(default=0)
    archived_at = fields.DatetimeField()

    class Meta:
        table = "leaderboard_archive"
        unique_together = (("board", "window", "period_key", "region"),)


class LeaderboardArchiveEntry(Model):
    """One member's final standing in an archived period."""

    id = fields.BigIntField(primary_key=True)
    archive: fields.ForeignKeyRelation[LeaderboardArchive] = fields.ForeignKeyField(
        "fidelio.LeaderboardArchive", related_name="entries", on_delete=fields.CASCADE
    )
    archive_id: int
    rank = fields.IntField()
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="leaderboard_standings", on_delete=fields.RESTRICT
    )
    member_id: int
    score = fields.DecimalField(max_digits=20, decimal_places=2)
    reached_at = fields.DatetimeField()

    class Meta:
        table = "leaderboard_archive_entry"
        unique_together = (("archive", "rank"),)


class PrizeAward(Model):
    """Prize points paid for a rank of a closed period: at most one row per rank, ever."""

    id = fields.BigIntField(primary_key=True)
    board: fields.ForeignKeyRelation[LeaderboardDefinition] = fields.ForeignKeyField(
        "fidelio.LeaderboardDefinition", related_name="prizes", on_delete=fields.RESTRICT
    )
    board_id: int
    window = fields.CharField(max_length=12)
    period_key = fields.CharField(max_length=16)
    region = fields.CharField(max_length=80, default=NO_REGION)
    rank = fields.IntField()
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="leaderboard_prizes", on_delete=fields.RESTRICT
    )
    member_id: int
    points = fields.IntField()
    #: The ledger credit that paid the prize.
    entry: fields.ForeignKeyRelation[PointsEntry] = fields.ForeignKeyField(
        "fidelio.PointsEntry", related_name="leaderboard_prize", on_delete=fields.RESTRICT
    )
    entry_id: int
    awarded_at = fields.DatetimeField()

    class Meta:
        table = "leaderboard_prize_award"
        unique_together = (("board", "window", "period_key", "region", "rank"),)


class LeaderboardPeriodClose(Model):
    """Marks a period of a board's window as closed: archived and its prizes paid, for every
    region at once. Inserting it is what a closing worker claims, so only one worker does it."""

    id = fields.BigIntField(primary_key=True)
    board: fields.ForeignKeyRelation[LeaderboardDefinition] = fields.ForeignKeyField(
        "fidelio.LeaderboardDefinition", related_name="closes", on_delete=fields.CASCADE
    )
    board_id: int
    window = fields.CharField(max_length=12)
    period_key = fields.CharField(max_length=16)
    closed_at = fields.DatetimeField()

    class Meta:
        table = "leaderboard_period_close"
        unique_together = (("board", "window", "period_key"),)
