"""GraphQL types of personal offers: the rewards recommended to a member.

Nothing here is public: the list depends on the member (their scores, tier, coupons and
balance), so none of these types is kept by the fragment cache (`api.fragments`); only the
`Reward` inside each entry is, as everywhere, by its own values, with `canRedeem` private.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.rewards import Reward, can_redeem_loader
from domain.errors import InvalidInput
from domain.members.models import Member
from domain.offers import ranking
from domain.translations import Language


@strawberry.enum(description="What a recommendation is based on.")
class RecommendationBasis(Enum):
    MODEL = strawberry.enum_value(
        "MODEL",
        description="The member's own behaviour (purchases by category, redemptions, drops, "
        "badges), through the model trained on the program's data.",
    )
    POPULAR = strawberry.enum_value(
        "POPULAR",
        description="What members of the same tier and region redeem most (or all members): "
        "for a member the model has not seen yet, or a program too small for a model.",
    )


@strawberry.type(description="A reward recommended to the member, which they may redeem now.")
class RecommendedReward:
    reward: Reward = strawberry.field(description="The reward (active, in stock, within tier).")
    basis: RecommendationBasis = strawberry.field(
        description="Whether the member's own behaviour or popularity put it here."
    )
    score: float = strawberry.field(
        description="How strongly it is recommended: the model's score (about 0 to 1) or the "
        "reward's recency-weighted popularity. Compare within one list only."
    )
    reason: str = strawberry.field(
        description="Why, in the member's language, e.g. 'Because you often buy running shoes'."
    )
    affordable: bool = strawberry.field(description="Whether the member has the points now.")
    points_missing: int = strawberry.field(
        description="Points the member still needs for it (0 when affordable)."
    )

    @classmethod
    def from_result(cls, item: ranking.RecommendedReward, language: Language) -> RecommendedReward:
        return cls(
            reward=Reward.from_model(item.reward, language),
            basis=RecommendationBasis(item.basis.value),
            score=round(item.score, 6),
            reason=item.reason,
            affordable=item.affordable,
            points_missing=item.points_missing,
        )


@strawberry.type(
    description="The rewards recommended to a member, best first, from the version of the "
    "recommender every process serves."
)
class RewardRecommendations:
    basis: RecommendationBasis = strawberry.field(
        description="MODEL when the member's own scores rank the list (popular rewards may "
        "still fill it up), POPULAR for a cold start."
    )
    model_version: int | None = strawberry.field(
        description="The recommender's version served (null before its first training)."
    )
    trained_at: datetime | None = strawberry.field(
        description="When that version was trained (null before the first training)."
    )
    rewards: list[RecommendedReward] = strawberry.field(
        description="Rewards the member may redeem now (tier, stock, per-member limit), best "
        "first; affordability is shown, not required."
    )


async def resolve_recommended_rewards(
    info: Info, member: Member, first: int
) -> RewardRecommendations:
    """`Member.recommendedRewards`: two statements (the stored ranking and the member's
    balance with coupons held); the rewards come from the per-process catalogue."""
    if not 1 <= first <= ranking.MAX_FIRST:
        raise to_client_error(
            InvalidInput(f"first must be between 1 and {ranking.MAX_FIRST}", ["first"])
        )
    context = info.context
    on_offer = await context.runtime.rewards.active(await context.versions())
    result = await ranking.recommended_rewards(member, on_offer, context.now, first)
    principal = context.principal
    if principal is not None and principal.role == Role.MEMBER:
        own = await context.member()
        if own.id == member.id:
            # `canRedeem` of these rewards is known already: no second read of the balance.
            loader = context.loader("rewards.canRedeem", lambda: can_redeem_loader(info))
            for item in result.rewards:
                loader.prime(item.reward, result.can_redeem[item.reward.id])
    # The rewards in the member's language (the list is theirs; never a shared cache entry).
    language = Language(member.locale, context.runtime.settings.program_locale)
    return RewardRecommendations(
        basis=RecommendationBasis(result.basis.value),
        model_version=result.version,
        trained_at=result.trained_at,
        rewards=[RecommendedReward.from_result(item, language) for item in result.rewards],
    )
