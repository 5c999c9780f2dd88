"""Tortoise models of personal offers: the trained versions and what they scored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.members.models import Member
    from domain.rewards.models import Reward


class RecommendationModel(Model):
    """One training of the recommender: its version (the id), when, on what and how well.

    Exactly one row is `active`: the version every process serves. Its scores are in
    `member_recommendation` and `popular_reward`; rows of older versions are deleted when a
    new one becomes active (the version rows stay, as history). Nothing personal is kept
    here: counts and figures only.
    """

    id = fields.BigIntField(primary_key=True)
    trained_at = fields.DatetimeField()
    #: MODEL (a collaborative model scored members) or POPULAR (too little data: popularity).
    kind = fields.CharField(max_length=10)
    active = fields.BooleanField(default=False)
    #: sha256 of the training data, the catalogue and the parameters: same data, same version.
    data_hash = fields.CharField(max_length=64)
    #: The training parameters (factors, iterations, weights by kind, half-life...).
    parameters: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    #: Figures of the run: members, items, interactions, members scored, seconds.
    metrics: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    #: The highest id read from each source table, to count what arrived since.
    source_marks: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "recommendation_model"
        indexes = (("active",),)


class MemberRecommendation(Model):
    """A reward the model ranks for a member, with the score and the member's own item that
    weighs most in it (the reason). Deleted when the member erases their account."""

    id = fields.BigIntField(primary_key=True)
    model: fields.ForeignKeyRelation[RecommendationModel] = fields.ForeignKeyField(
        "fidelio.RecommendationModel", related_name="recommendations", on_delete=fields.CASCADE
    )
    model_id: int
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "fidelio.Member", related_name="recommendations", on_delete=fields.CASCADE
    )
    member_id: int
    reward: fields.ForeignKeyRelation[Reward] = fields.ForeignKeyField(
        "fidelio.Reward", related_name="recommendations", on_delete=fields.CASCADE
    )
    reward_id: int
    rank = fields.IntField()
    score = fields.FloatField()
    #: CATEGORY, CATEGORY_OFTEN, REWARD, DROP or BADGE: what kind of item the reason is.
    reason_kind = fields.CharField(max_length=16)
    #: The reason item's name as people read it (a category, a reward's or a drop's name).
    reason_label = fields.CharField(max_length=200, default="")

    class Meta:
        table = "member_recommendation"
        indexes = (("member_id", "model_id"), ("reward_id", "model_id", "score"))


class PopularReward(Model):
    """The rewards most redeemed by a group of members (a tier level in a region), for members
    the model cannot score; `tier_level` -1 and region `*` is every member."""

    id = fields.BigIntField(primary_key=True)
    model: fields.ForeignKeyRelation[RecommendationModel] = fields.ForeignKeyField(
        "fidelio.RecommendationModel", related_name="popular", on_delete=fields.CASCADE
    )
    model_id: int
    tier_level = fields.IntField()
    #: The members' country (ISO 3166-1 alpha-2), empty when unknown, `*` for everyone.
    region = fields.CharField(max_length=2)
    reward: fields.ForeignKeyRelation[Reward] = fields.ForeignKeyField(
        "fidelio.Reward", related_name="popularity", on_delete=fields.CASCADE
    )
    reward_id: int
    rank = fields.IntField()
    score = fields.FloatField()

    class Meta:
        table = "popular_reward"
        indexes = (("model_id", "tier_level", "region"),)
