"""Use cases of personal offers: train and store a version, retrain when enough is new,
read a member's stored ranking, forget an erased member.

A version is written in one transaction with the switch to it: the new `recommendation_model`
row, every member's top rewards, the popularity per group, the deletion of the previous
version's rows and a bump of the `recommendations` configuration version (whose row lock also
serialises two workers switching at once). Training on the same data, catalogue and
parameters finds the same `data_hash` and stores nothing: retraining is idempotent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from domain.offers import interactions as source
from domain.offers.models import MemberRecommendation, PopularReward, RecommendationModel
from domain.offers.training import (
    EVERYONE,
    Basis,
    Interaction,
    ReasonKind,
    Scored,
    Trained,
    TrainingParameters,
    train,
)
from domain.sql import Statement, as_datetime
from domain.versions import ConfigPart, bump_version
from domain.watermarks import read_watermark, save_watermark

log = logging.getLogger("fidelio.offers")

JOB_NAME = "offers.train"


@dataclass(frozen=True)
class OfferSettings:
    """When the training job retrains, and with what."""

    #: Retrain once this many interactions arrived since the last training.
    retrain_after: int = 1000
    parameters: TrainingParameters = field(default_factory=TrainingParameters)

    def __post_init__(self) -> None:
        if self.retrain_after < 1:
            raise ValueError("retrain_after must be at least 1")
        if self.parameters.top_n < 1 or self.parameters.min_members < 1:
            raise ValueError("top_n and min_members must be at least 1")


@dataclass(frozen=True)
class TrainingRun:
    """What a training run did: the version served afterwards and whether it is new."""

    version: int
    created: bool
    basis: Basis
    metrics: dict[str, object]


def data_hash(
    interactions: list[Interaction],
    groups: dict[int, tuple[int, str]],
    rewards: dict[str, int],
    params: TrainingParameters,
) -> str:
    """sha256 of everything a training depends on: the same input, the same hash."""
    digest = hashlib.sha256()
    digest.update(json.dumps(params.to_json(), sort_keys=True).encode())
    digest.update(json.dumps(sorted(rewards.items())).encode())
    seen = set()
    for i in sorted(interactions, key=lambda i: (i.member_id, i.at, i.item, i.kind.value)):
        seen.add(i.member_id)
        digest.update(f"{i.member_id}|{i.item}|{i.kind.value}|{i.at.isoformat()}\n".encode())
    for member in sorted(seen):
        digest.update(f"{member}:{groups.get(member, EVERYONE)}\n".encode())
    return digest.hexdigest()


async def train_and_store(now: datetime, settings: OfferSettings) -> TrainingRun:
    """Train on every current interaction and make the result the served version, unless
    the active version was trained on the same data (then nothing is written)."""
    marks = await source.read_marks()
    rows = await source.read_interactions(marks)
    groups = await source.read_groups()
    rewards = await source.read_catalogue()
    params = settings.parameters
    digest = data_hash(rows, groups, rewards, params)
    active = await RecommendationModel.filter(active=True).first()
    if active is not None and active.data_hash == digest:
        await _save_mark(now, marks, params)
        return TrainingRun(active.id, False, Basis(active.kind), active.metrics)
    began = time.perf_counter()
    # The fit is CPU-bound: off the event loop, so the process keeps serving meanwhile.
    trained = await asyncio.to_thread(train, rows, groups, rewards, params)
    trained.metrics["train_seconds"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    version, created = await _store(trained, digest, marks, now, params)
    log.info("offers: stored in %.1f s", time.perf_counter() - began)
    await _save_mark(now, marks, params)
    log.info(
        "offers: version %s (%s) %s, %s",
        version,
        trained.basis.value,
        "stored" if created else "unchanged",
        trained.metrics,
    )
    return TrainingRun(version, created, trained.basis, trained.metrics)


async def retrain_if_due(now: datetime, settings: OfferSettings) -> int:
    """The scheduled job: train when no version exists, when the parameters changed, or
    when `retrain_after` interactions arrived since the last run; returns 1 when a new
    version became active, else 0. Counting what is new reads primary-key ranges only."""
    mark = await read_watermark(JOB_NAME)
    params_hash, _, marks_text = (mark.fingerprint if mark else "").partition("|")
    since = source.SourceMarks.parse(marks_text)
    due = (
        since is None
        or params_hash != _params_hash(settings.parameters)
        or not await RecommendationModel.exists(active=True)
        or await source.count_new(since) >= settings.retrain_after
    )
    if not due:
        return 0
    return int((await train_and_store(now, settings)).created)


def _params_hash(params: TrainingParameters) -> str:
    text = json.dumps(params.to_json(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def _save_mark(now: datetime, marks: source.SourceMarks, params: TrainingParameters) -> None:
    await save_watermark(JOB_NAME, now, f"{_params_hash(params)}|{marks.text()}")


#: Tens of thousands of rows a version: written with the driver's executemany, not the ORM.
_INSERT_MEMBER_ROWS = Statement("""
    INSERT INTO member_recommendation
        (model_id, member_id, reward_id, rank, score, reason_kind, reason_label)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
""")
_INSERT_POPULAR_ROWS = Statement("""
    INSERT INTO popular_reward (model_id, tier_level, region, reward_id, rank, score)
    VALUES ($1, $2, $3, $4, $5, $6)
""")


async def _store(
    trained: Trained,
    digest: str,
    marks: source.SourceMarks,
    now: datetime,
    params: TrainingParameters,
) -> tuple[int, bool]:
    async with in_transaction():
        # Locks the part's row: two workers switching at once take turns here.
        await bump_version(ConfigPart.RECOMMENDATIONS)
        active = await RecommendationModel.filter(active=True).first()
        if active is not None and active.data_hash == digest:
            return active.id, False  # another worker stored this very data meanwhile
        version = await RecommendationModel.create(
            trained_at=now,
            kind=trained.basis.value,
            active=False,
            data_hash=digest,
            parameters=params.to_json(),
            metrics=trained.metrics,
            source_marks=dict(marks.ids),
        )
        await _INSERT_MEMBER_ROWS.execute_many(
            [
                (
                    version.id,
                    member_id,
                    scored.reward_id,
                    rank,
                    scored.score,
                    scored.reason_kind.value,
                    scored.reason_label[:200],
                )
                for member_id, ranked in trained.members.items()
                for rank, scored in enumerate(ranked, 1)
            ]
        )
        await _INSERT_POPULAR_ROWS.execute_many(
            [
                (version.id, tier, region, scored.reward_id, rank, scored.score)
                for (tier, region), ranked in trained.popular.items()
                for rank, scored in enumerate(ranked, 1)
            ]
        )
        await MemberRecommendation.filter(model_id__not=version.id).delete()
        await PopularReward.filter(model_id__not=version.id).delete()
        await RecommendationModel.filter(active=True).update(active=False)
        await RecommendationModel.filter(id=version.id).update(active=True)
    return version.id, True


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredRanking:
    """What the served version holds for one member: their own ranking (empty for members
    the model did not see) and the popularity of their group and of everyone."""

    version: int | None
    trained_at: datetime | None
    own: list[Scored]
    group: list[Scored]
    everyone: list[Scored]

    @property
    def basis(self) -> Basis:
        return Basis.MODEL if self.own else Basis.POPULAR


#: One statement: the member's rows, the popularity of their group and of everyone, and the
#: served version itself (so that a member with no rows still learns the version).
_RANKING = Statement("""
    SELECT 'M' AS part, v.id AS version, v.trained_at, r.reward_id, r.rank, r.score,
        r.reason_kind, r.reason_label
    FROM recommendation_model v
    JOIN member_recommendation r ON r.model_id = v.id AND r.member_id = $1
    WHERE v.active
    UNION ALL
    SELECT CASE WHEN p.tier_level = -1 THEN 'E' ELSE 'G' END, v.id, v.trained_at, p.reward_id,
        p.rank, p.score, '', ''
    FROM recommendation_model v
    JOIN popular_reward p ON p.model_id = v.id
        AND ((p.tier_level = $2 AND p.region = $3) OR (p.tier_level = -1 AND p.region = '*'))
    WHERE v.active
    UNION ALL
    SELECT 'V', v.id, v.trained_at, NULL, 0, 0, '', ''
    FROM recommendation_model v WHERE v.active
""")


async def stored_ranking(member_id: int, tier_level: int, region: str) -> StoredRanking:
    """The served version's ranking for this member, in one statement."""
    rows = await _RANKING.rows(member_id, tier_level, region)
    version: int | None = None
    trained_at: datetime | None = None
    parts: dict[str, list[tuple[int, Scored]]] = {"M": [], "G": [], "E": []}
    for row in rows:
        version = int(row["version"])
        trained_at = as_datetime(row["trained_at"])
        if row["part"] == "V":
            continue
        part = row["part"]
        kind = row["reason_kind"] or (
            ReasonKind.POPULAR.value if part == "E" else ReasonKind.POPULAR_GROUP.value
        )
        parts[part].append(
            (
                int(row["rank"]),
                Scored(
                    int(row["reward_id"]),
                    float(row["score"]),
                    ReasonKind(kind),
                    row["reason_label"] or "",
                ),
            )
        )
    ranked = {
        part: [s for _, s in sorted(items, key=lambda x: x[0])] for part, items in parts.items()
    }
    return StoredRanking(version, trained_at, ranked["M"], ranked["G"], ranked["E"])


async def recommendations_section(member_id: int) -> list[dict[str, object]]:
    """exportMyData's section: the rewards the served version ranks for the member, why."""
    rows = (
        await MemberRecommendation.filter(member_id=member_id, model__active=True)
        .order_by("rank")
        .values("model_id", "rank", "reward__code", "score", "reason_kind", "reason_label")
    )
    return [
        {
            "modelVersion": row["model_id"],
            "rank": row["rank"],
            "rewardCode": row["reward__code"],
            "score": row["score"],
            "reasonKind": row["reason_kind"],
            "reasonItem": row["reason_label"],
        }
        for row in rows
    ]


async def forget_member(member_id: int) -> int:
    """Delete the member's stored scores (at erasure, in its transaction); the next
    training leaves their interactions out. Returns the rows deleted."""
    return await MemberRecommendation.filter(member_id=member_id).delete()


async def active_version() -> RecommendationModel | None:
    """The version every process serves now (None before the first training)."""
    return await RecommendationModel.filter(active=True).first()
