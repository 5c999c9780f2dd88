"""Offline evaluation of the recommender against the popularity baseline.

`planted_program` generates a program whose members' tastes are planted by category (each
member prefers one or two categories, buys mostly in them and redeems mostly the rewards made
for them), so the right answer is known. `evaluate` holds out each member's most recent
interactions (from their last `holdout` redemptions on), trains on everything before, and
measures precision@k and recall@k of the rewards the member redeemed in the held-out part and
had not redeemed before, for the model and for popularity within the member's tier and region
(the cold-start ranking), both through the same functions the training job uses.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from domain.offers.training import (
    EVERYONE,
    Interaction,
    InteractionKind,
    ItemKind,
    TrainingParameters,
    fit,
    item_key,
    popularity,
    recommend,
    weighted_matrix,
)

REGIONS = ("ES", "GB", "FR", "DE", "IT", "PT")


@dataclass(frozen=True)
class Program:
    """A generated program: interactions, each member's (tier, region) and the rewards."""

    interactions: list[Interaction]
    groups: dict[int, tuple[int, str]]
    #: {reward code: reward id}
    rewards: dict[str, int]
    #: {member id: the categories the member prefers}
    tastes: dict[int, tuple[str, ...]]


def planted_program(
    members: int,
    *,
    categories: int = 24,
    rewards_per_category: int = 3,
    seed: int = 17,
    loyalty: float = 0.8,
    end: datetime = datetime(2026, 12, 1, tzinfo=UTC),
) -> Program:
    """`members` members over a year. Categories are unequally popular (a Zipf law), so
    popularity is a real baseline; each member prefers one category (a second one half the
    time), makes 3-15 purchases whose categories are the preferred ones with probability
    `loyalty`, and 3-8 redemptions of a preferred category's reward with the same
    probability (otherwise a reward drawn by overall popularity)."""
    draw = random.Random(seed)
    names = [f"category-{n:02d}" for n in range(categories)]
    appeal = [1.0 / (rank + 1) for rank in range(categories)]
    rewards: dict[str, int] = {}
    by_category: dict[str, list[str]] = {}
    for c, name in enumerate(names):
        codes = [f"R{c:02d}-{k}" for k in range(rewards_per_category)]
        by_category[name] = codes
        for code in codes:
            rewards[code] = len(rewards) + 1
    all_codes = list(rewards)
    code_appeal = [appeal[c] for c in range(categories) for _ in range(rewards_per_category)]
    interactions: list[Interaction] = []
    groups: dict[int, tuple[int, str]] = {}
    tastes: dict[int, tuple[str, ...]] = {}
    start = end - timedelta(days=365)

    def moment() -> datetime:
        return start + timedelta(seconds=draw.randrange(365 * 86400))

    for member in range(1, members + 1):
        groups[member] = (draw.choices((0, 1, 2), (0.6, 0.3, 0.1))[0], draw.choice(REGIONS))
        liked = [draw.choices(names, appeal)[0]]
        if draw.random() < 0.5:
            liked.append(draw.choice([n for n in names if n != liked[0]]))
        tastes[member] = tuple(liked)
        for _ in range(draw.randint(3, 15)):
            category = draw.choice(liked) if draw.random() < loyalty else draw.choice(names)
            interactions.append(
                Interaction(
                    member,
                    item_key(ItemKind.CATEGORY, category),
                    InteractionKind.PURCHASE,
                    moment(),
                    category.replace("-", " "),
                )
            )
        for _ in range(draw.randint(3, 8)):
            if draw.random() < loyalty:
                code = draw.choice(by_category[draw.choice(liked)])
            else:
                code = draw.choices(all_codes, code_appeal)[0]
            interactions.append(
                Interaction(
                    member, item_key(ItemKind.REWARD, code), InteractionKind.REDEMPTION, moment()
                )
            )
    return Program(interactions, groups, rewards, tastes)


@dataclass(frozen=True)
class Scores:
    """Precision and recall at k, averaged over the members evaluated."""

    precision: float
    recall: float


@dataclass(frozen=True)
class Evaluation:
    model: Scores
    popular: Scores
    members: int
    evaluated: int
    k: int
    train_seconds: float

    @property
    def lift(self) -> float:
        """The model's precision over popularity's, minus one (0.2: 20% better)."""
        return self.model.precision / self.popular.precision - 1 if self.popular.precision else 0.0

    def table(self) -> str:
        """The figures as a Markdown table."""
        k = self.k
        return "\n".join(
            [
                f"| ranking | precision@{k} | recall@{k} |",
                "| --- | --- | --- |",
                f"| model (ALS) | {self.model.precision:.4f} | {self.model.recall:.4f} |",
                f"| popularity in tier and region | {self.popular.precision:.4f} "
                f"| {self.popular.recall:.4f} |",
            ]
        )


def split(
    interactions: Sequence[Interaction], holdout: int
) -> tuple[list[Interaction], dict[int, set[str]]]:
    """(training interactions, {member: held-out reward items}): each member's interactions
    from their `holdout`-th last redemption on are held out; the targets are the rewards
    redeemed there that the member had not redeemed before."""
    by_member: dict[int, list[Interaction]] = defaultdict(list)
    for interaction in interactions:
        by_member[interaction.member_id].append(interaction)
    train: list[Interaction] = []
    targets: dict[int, set[str]] = {}
    for member, own in sorted(by_member.items()):
        own.sort(key=lambda i: i.at)
        redemptions = [i for i in own if i.kind is InteractionKind.REDEMPTION]
        if len(redemptions) <= holdout:
            train.extend(own)
            continue
        cutoff = redemptions[-holdout].at
        before = [i for i in own if i.at < cutoff]
        seen = {i.item for i in before}
        fresh = {
            i.item
            for i in own
            if i.at >= cutoff and i.kind is InteractionKind.REDEMPTION and i.item not in seen
        }
        train.extend(before)
        if fresh:
            targets[member] = fresh
    return train, targets


def evaluate(
    program: Program,
    params: TrainingParameters | None = None,
    *,
    k: int = 5,
    holdout: int = 2,
) -> Evaluation:
    """Precision@k and recall@k of the model and of popularity on `program`'s held-out
    most recent redemptions (rewards already redeemed in training are never counted)."""
    params = params or TrainingParameters()
    train, targets = split(program.interactions, holdout)
    reward_items = {item_key(ItemKind.REWARD, code): rid for code, rid in program.rewards.items()}
    weighted = weighted_matrix(train, params, extra_items=reward_items)
    columns = weighted.item_column()
    reward_columns = {rid: columns[key] for key, rid in reward_items.items()}
    candidates = np.array(sorted(reward_columns.values()), dtype=np.int64)
    row_of = {member: row for row, member in enumerate(weighted.members)}
    evaluated = [m for m in sorted(targets) if m in row_of]
    began = time.perf_counter()
    model = fit(weighted, params)
    train_seconds = time.perf_counter() - began
    rows = np.array([row_of[m] for m in evaluated], dtype=np.int64)
    best, _ = recommend(model, weighted, rows, candidates, k, filter_seen=True)
    model_hits = [
        {weighted.items[c] for c in best[i] if c >= 0} & targets[m] for i, m in enumerate(evaluated)
    ]
    ranked = popularity(weighted, program.groups, reward_columns, params)
    popular_hits = []
    for m in evaluated:
        seen = set(weighted.matrix[row_of[m]].indices.tolist())
        order = ranked.get(program.groups.get(m, EVERYONE)) or ranked.get(EVERYONE, [])
        picked = [c for c, _ in order if c not in seen]
        if len(picked) < k:  # a small group's list runs out: everyone's fills it
            picked += [c for c, _ in ranked.get(EVERYONE, []) if c not in seen and c not in picked]
        popular_hits.append({weighted.items[c] for c in picked[:k]} & targets[m])
    return Evaluation(
        model=_scores(model_hits, [targets[m] for m in evaluated], k),
        popular=_scores(popular_hits, [targets[m] for m in evaluated], k),
        members=len(program.groups),
        evaluated=len(evaluated),
        k=k,
        train_seconds=train_seconds,
    )


def _scores(hits: Sequence[set[str]], wanted: Sequence[set[str]], k: int) -> Scores:
    if not hits:
        return Scores(0.0, 0.0)
    precision = sum(len(h) for h in hits) / (k * len(hits))
    recall = sum(len(h) / len(w) for h, w in zip(hits, wanted, strict=True)) / len(hits)
    return Scores(precision, recall)


def planted_summary(program: Program) -> Mapping[str, int]:
    """Counts of the generated program, for the report."""
    kinds: dict[str, int] = defaultdict(int)
    for interaction in program.interactions:
        kinds[interaction.kind.value] += 1
    return {"members": len(program.groups), "rewards": len(program.rewards), **kinds}
