"""A member's recommended rewards, as the app shows them: from the stored scores, only the
rewards the member may redeem now, with affordability and the reason in their language.

Two statements whatever the catalogue's size: the stored ranking (`services.stored_ranking`)
and the member's balance with the coupons held (`catalogue.redeem_standing`, the one
`canRedeem` reads). The rewards themselves come from the per-process catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.members.models import Member
from domain.offers.messages import CATALOGUE
from domain.offers.services import StoredRanking, stored_ranking
from domain.offers.training import Basis, Scored
from domain.rewards.catalogue import eligible, redeem_standing
from domain.rewards.models import Reward

#: Most rewards one answer lists (the stored ranking keeps `top_n`, 20 by default).
MAX_FIRST = 20


@dataclass(frozen=True)
class RecommendedReward:
    """One reward of the list."""

    reward: Reward
    basis: Basis
    score: float
    reason: str
    #: Whether the member has the points for it now.
    affordable: bool
    points_missing: int


@dataclass(frozen=True)
class Recommendations:
    """The list and what it is based on."""

    basis: Basis
    version: int | None
    trained_at: datetime | None
    rewards: list[RecommendedReward]
    #: {reward id: whether the member could redeem it now}, for `canRedeem` of the same rewards.
    can_redeem: dict[int, bool]


def region_of(member: Member) -> str:
    """The region popularity groups members by: their country, empty when unknown."""
    return member.country or ""


async def recommended_rewards(
    member: Member, on_offer: Sequence[Reward], now: datetime, first: int
) -> Recommendations:
    """Up to `first` rewards for the member, best first: the model's ranking of the member
    (basis MODEL), then, to fill the list or for a member the model has not seen (a new
    member, a program too small for a model), the most popular rewards of the member's tier
    and region, then of everyone (basis POPULAR). Rewards the member may not redeem now
    (withdrawn, above their tier, out of stock, limit reached) never appear; rewards they
    lack the points for do, marked not affordable."""
    stored: StoredRanking = await stored_ranking(member.id, member.tier_level, region_of(member))
    balance, held = await redeem_standing(member.id, now)
    by_id = {reward.id: reward for reward in on_offer}
    chosen: list[RecommendedReward] = []
    seen: set[int] = set()

    def take(ranked: list[Scored], basis: Basis) -> None:
        for scored in ranked:
            if len(chosen) >= first:
                return
            reward = by_id.get(scored.reward_id)
            if reward is None or reward.id in seen:
                continue
            if not eligible(reward, member, held.get(reward.id, 0)):
                continue
            seen.add(reward.id)
            chosen.append(
                RecommendedReward(
                    reward=reward,
                    basis=basis,
                    score=scored.score,
                    reason=CATALOGUE.text(
                        member.locale, scored.reason_kind.value, item=scored.reason_label
                    ),
                    affordable=balance >= reward.cost_points,
                    points_missing=max(0, reward.cost_points - balance),
                )
            )

    take(stored.own, Basis.MODEL)
    take(stored.group, Basis.POPULAR)
    take(stored.everyone, Basis.POPULAR)
    can_redeem = {item.reward.id: item.affordable for item in chosen}  # eligible by construction
    return Recommendations(stored.basis, stored.version, stored.trained_at, chosen, can_redeem)
