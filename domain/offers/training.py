"""The recommender itself: interactions in, each member's top rewards and popularity out.

Pure computation, no database: `services` reads the interactions and stores the result,
`evaluation` runs the same functions on a generated program. Items are the rewards (by code)
and what else a member's behaviour shows interest in (purchase categories, drops, badges);
each interaction weighs by its kind and halves every `half_life_days` before the newest one
(relative to the data, not to the clock, so the same data trains the same model). The
collaborative model is `implicit`'s alternating least squares on the member x item matrix of
those weights (its confidences); only reward items are ever recommended.

BLAS runs on one thread (threadpoolctl) and ALS on one thread with a fixed seed: training is
deterministic and leaves the other core to the API.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import scipy.sparse as sp


class InteractionKind(StrEnum):
    """What a member did with an item."""

    #: A kept purchase with an item of this category.
    PURCHASE = "PURCHASE"
    #: A reward redeemed for points.
    REDEMPTION = "REDEMPTION"
    #: A reward's coupon received without spending points (a promotion's gift).
    GIFT = "GIFT"
    #: A drop claimed (reserved, entered or won).
    CLAIM = "CLAIM"
    #: A badge earned.
    BADGE = "BADGE"


class ItemKind(StrEnum):
    """The kinds of item, as the prefix of an item's key (`category:shoes`)."""

    CATEGORY = "category"
    REWARD = "reward"
    DROP = "drop"
    BADGE = "badge"


class ReasonKind(StrEnum):
    """Why a reward is recommended, as the member reads it (`messages`)."""

    CATEGORY = "CATEGORY"
    #: A category bought in more than one order.
    CATEGORY_OFTEN = "CATEGORY_OFTEN"
    REWARD = "REWARD"
    DROP = "DROP"
    BADGE = "BADGE"
    #: Popular with members of the same tier and region.
    POPULAR_GROUP = "POPULAR_GROUP"
    #: Popular with every member.
    POPULAR = "POPULAR"


class Basis(StrEnum):
    """What a ranking is based on."""

    #: The collaborative model, from the member's own behaviour.
    MODEL = "MODEL"
    #: Popularity within the member's tier and region (or overall): a cold start.
    POPULAR = "POPULAR"


def item_key(kind: ItemKind, name: str) -> str:
    return f"{kind.value}:{name}"


def item_kind(key: str) -> ItemKind:
    return ItemKind(key.split(":", 1)[0])


#: Everyone: the popularity group of members whose own group has too little data.
EVERYONE = (-1, "*")


@dataclass(frozen=True)
class Interaction:
    """One thing a member did: `item` is an item key, `label` its name for people."""

    member_id: int
    item: str
    kind: InteractionKind
    at: datetime
    label: str = ""


@dataclass(frozen=True)
class TrainingParameters:
    """How the recommender learns; stored with each version."""

    factors: int = 16
    iterations: int = 15
    regularization: float = 0.05
    #: Confidence per unit of weight (implicit's alpha).
    alpha: float = 2.0
    random_state: int = 42
    #: An interaction counts half as much this many days before the newest one.
    half_life_days: float = 180.0
    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            InteractionKind.PURCHASE.value: 1.0,
            InteractionKind.REDEMPTION.value: 4.0,
            InteractionKind.GIFT.value: 1.0,
            InteractionKind.CLAIM.value: 2.0,
            InteractionKind.BADGE.value: 0.5,
        }
    )
    #: Rewards kept per member (and per popularity group).
    top_n: int = 20
    #: Below this many members with interactions (or two rewards ever redeemed), no
    #: collaborative model is trained: popularity only.
    min_members: int = 50
    #: A tier-and-region group needs this much redemption weight for its own popularity;
    #: members of smaller groups read everyone's.
    min_group_weight: float = 5.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["weights"] = dict(sorted(self.weights.items()))
        return data


@dataclass(frozen=True)
class Scored:
    """A reward ranked for a member (or a group), with the reason."""

    reward_id: int
    score: float
    reason_kind: ReasonKind
    reason_label: str = ""


@dataclass
class Trained:
    """What one training produced."""

    basis: Basis
    #: {member id: rewards, best first}
    members: dict[int, list[Scored]]
    #: {(tier level, region): rewards, most popular first}; EVERYONE for all members.
    popular: dict[tuple[int, str], list[Scored]]
    metrics: dict[str, Any]


@dataclass
class WeightedMatrix:
    """Members x items of summed interaction weights, with both indexes."""

    members: list[int]
    items: list[str]
    matrix: sp.csr_matrix
    #: Purchases per (member row, item column), for "often" reasons.
    purchases: dict[tuple[int, int], int]
    labels: dict[str, str]

    def item_column(self) -> dict[str, int]:
        return {key: column for column, key in enumerate(self.items)}


def interaction_weight(kind: InteractionKind, age_days: float, params: TrainingParameters) -> float:
    """The weight of one interaction `age_days` before the newest of the data."""
    decay: float = 0.5 ** (max(age_days, 0.0) / params.half_life_days)
    return float(params.weights.get(kind.value, 0.0)) * decay


def weighted_matrix(
    interactions: Sequence[Interaction],
    params: TrainingParameters,
    extra_items: Iterable[str] = (),
    newest: datetime | None = None,
) -> WeightedMatrix:
    """The member x item matrix of recency- and kind-weighted interactions. Members and
    items are in sorted order (deterministic); `extra_items` (the catalogue's rewards) get a
    column even without interactions."""
    if newest is None and interactions:
        newest = max(i.at for i in interactions)
    sums: dict[tuple[int, str], float] = defaultdict(float)
    bought: dict[tuple[int, str], int] = defaultdict(int)
    labels: dict[str, str] = {}
    for interaction in interactions:
        age = (newest - interaction.at).total_seconds() / 86400 if newest else 0.0
        weight = interaction_weight(interaction.kind, age, params)
        if weight <= 0:
            continue
        sums[(interaction.member_id, interaction.item)] += weight
        if interaction.kind is InteractionKind.PURCHASE:
            bought[(interaction.member_id, interaction.item)] += 1
        if interaction.label:
            labels.setdefault(interaction.item, interaction.label)
    members = sorted({member for member, _ in sums})
    items = sorted({item for _, item in sums} | set(extra_items))
    member_row = {member: row for row, member in enumerate(members)}
    item_column = {item: column for column, item in enumerate(items)}
    rows = np.fromiter((member_row[m] for m, _ in sums), dtype=np.int32, count=len(sums))
    columns = np.fromiter((item_column[i] for _, i in sums), dtype=np.int32, count=len(sums))
    values = np.fromiter(sums.values(), dtype=np.float32, count=len(sums))
    matrix = sp.csr_matrix((values, (rows, columns)), shape=(len(members), len(items)))
    purchases = {(member_row[m], item_column[i]): n for (m, i), n in bought.items()}
    return WeightedMatrix(members, items, matrix, purchases, labels)


def effective_factors(params: TrainingParameters, items: int) -> int:
    """The latent factors used: `params.factors`, but at most a third of the items (at least
    2). A small catalogue with as many factors as items lets the model memorise each member's
    items instead of learning which go together."""
    return max(2, min(params.factors, items // 3))


def fit(weighted: WeightedMatrix, params: TrainingParameters) -> Any:
    """`implicit`'s ALS fitted on the matrix, on one thread, deterministically."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=effective_factors(params, len(weighted.items)),
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.random_state,
            num_threads=1,
            calculate_training_loss=False,
        )
        model.fit(weighted.matrix, show_progress=False)
    return model


def recommend(
    model: Any,
    weighted: WeightedMatrix,
    rows: np.ndarray,
    candidates: np.ndarray,
    n: int,
    *,
    filter_seen: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The best `n` of the `candidates` columns for each matrix row in `rows`: (columns,
    scores), each of shape (len(rows), n); column -1 pads when fewer are left."""
    from threadpoolctl import threadpool_limits

    n = min(n, len(candidates))
    if n == 0 or len(rows) == 0:
        return np.zeros((len(rows), 0), dtype=np.int64), np.zeros((len(rows), 0))
    with threadpool_limits(limits=1, user_api="blas"):
        columns, scores = model.recommend(
            rows,
            weighted.matrix[rows],
            N=n,
            items=candidates,
            filter_already_liked_items=filter_seen,
        )
    return np.asarray(columns), np.asarray(scores)


def popularity(
    weighted: WeightedMatrix,
    groups: Mapping[int, tuple[int, str]],
    reward_columns: Mapping[int, int],
    params: TrainingParameters,
) -> dict[tuple[int, str], list[tuple[int, float]]]:
    """Per group of members (tier level, region), the reward columns by their summed weight,
    most popular first; EVERYONE for all members. Groups below `min_group_weight` are left out
    (their members read EVERYONE's)."""
    columns = np.array(sorted(reward_columns.values()), dtype=np.int64)
    by_group: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row, member in enumerate(weighted.members):
        by_group[groups.get(member, EVERYONE)].append(row)
    ranked: dict[tuple[int, str], list[tuple[int, float]]] = {}

    def rank(rows: Sequence[int] | slice) -> list[tuple[int, float]]:
        sums = np.asarray(weighted.matrix[rows][:, columns].sum(axis=0)).ravel()
        order = np.lexsort((columns, -sums))
        return [(int(columns[i]), float(sums[i])) for i in order if sums[i] > 0][: params.top_n]

    if len(columns):
        ranked[EVERYONE] = rank(slice(None))
        for group, rows in sorted(by_group.items()):
            if group == EVERYONE:
                continue
            best = rank(rows)
            if sum(score for _, score in best) >= params.min_group_weight:
                ranked[group] = best
    return ranked


def unit_factors(model: Any) -> np.ndarray:
    """The model's item factors scaled to length 1 (zero rows stay zero)."""
    factors = np.asarray(model.item_factors)
    norms = np.linalg.norm(factors, axis=1)
    norms[norms == 0] = 1.0
    scaled: np.ndarray = factors / norms[:, None]
    return scaled


def reasons(
    unit: np.ndarray, weighted: WeightedMatrix, row: int, recommended: Sequence[int]
) -> list[int]:
    """For each recommended column, the column of the member's own item that weighs most in
    it: the item with the largest weight x cosine similarity to the recommended one (`unit`:
    `unit_factors(model)`)."""
    start, end = weighted.matrix.indptr[row], weighted.matrix.indptr[row + 1]
    own = weighted.matrix.indices[start:end]
    weight = weighted.matrix.data[start:end]
    contributions = (unit[own] @ unit[list(recommended)].T) * weight[:, None]
    return [int(own[b]) for b in contributions.argmax(axis=0)]


def train(
    interactions: Sequence[Interaction],
    groups: Mapping[int, tuple[int, str]],
    rewards: Mapping[str, int],
    params: TrainingParameters,
) -> Trained:
    """Train on `interactions` (members' groups: {member id: (tier level, region)}) and rank
    the catalogue's `rewards` ({code: reward id}) for every member seen and every group."""
    reward_items = {item_key(ItemKind.REWARD, code): rid for code, rid in rewards.items()}
    weighted = weighted_matrix(interactions, params, extra_items=reward_items)
    columns = weighted.item_column()
    reward_columns = {rid: columns[key] for key, rid in reward_items.items()}
    reward_of_column = {column: rid for rid, column in reward_columns.items()}
    popular = {
        group: [Scored(reward_of_column[c], s, _popular_reason(group)) for c, s in ranked]
        for group, ranked in popularity(weighted, groups, reward_columns, params).items()
    }
    redeemed = weighted.matrix[:, sorted(reward_columns.values())].getnnz(axis=0)
    metrics: dict[str, Any] = {
        "interactions": len(interactions),
        "members": len(weighted.members),
        "items": len(weighted.items),
        "rewards": len(reward_columns),
        "rewards_with_interactions": int((redeemed > 0).sum()),
        "factors": effective_factors(params, len(weighted.items)),
    }
    if len(weighted.members) < params.min_members or metrics["rewards_with_interactions"] < 2:
        return Trained(Basis.POPULAR, {}, popular, {**metrics, "members_scored": 0})
    model = fit(weighted, params)
    unit = unit_factors(model)
    candidates = np.array(sorted(reward_columns.values()), dtype=np.int64)
    # What each column says as a reason, worked out once rather than per member.
    kinds = [item_kind(key) for key in weighted.items]
    labels = [weighted.labels.get(key, key.split(":", 1)[1]) for key in weighted.items]
    plain = [_REASON_OF_ITEM.get(kind, ReasonKind.CATEGORY) for kind in kinds]
    scored: dict[int, list[Scored]] = {}
    batch = 2000
    for start in range(0, len(weighted.members), batch):
        rows = np.arange(start, min(start + batch, len(weighted.members)))
        best, scores = recommend(model, weighted, rows, candidates, params.top_n, filter_seen=False)
        for offset, row in enumerate(rows.tolist()):
            picked = [c for c in best[offset].tolist() if c >= 0]
            why = reasons(unit, weighted, row, picked)
            values = scores[offset].tolist()
            ranked = []
            for k, (column, source) in enumerate(zip(picked, why, strict=True)):
                kind = plain[source]
                if kind is ReasonKind.CATEGORY and weighted.purchases.get((row, source), 0) > 1:
                    kind = ReasonKind.CATEGORY_OFTEN
                ranked.append(
                    Scored(reward_of_column[column], _finite(values[k]), kind, labels[source])
                )
            scored[weighted.members[row]] = ranked
    return Trained(Basis.MODEL, scored, popular, {**metrics, "members_scored": len(scored)})


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _popular_reason(group: tuple[int, str]) -> ReasonKind:
    return ReasonKind.POPULAR if group == EVERYONE else ReasonKind.POPULAR_GROUP


_REASON_OF_ITEM = {
    ItemKind.CATEGORY: ReasonKind.CATEGORY,
    ItemKind.REWARD: ReasonKind.REWARD,
    ItemKind.DROP: ReasonKind.DROP,
    ItemKind.BADGE: ReasonKind.BADGE,
}
