"""GraphQL of personal offers for admins: the anniversary offer.

(The member's side, `Member.recommendedRewards`, is on the member type: api/types/offers.py.)
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.auth import Role
from api.context import Info
from api.types.common import UserError, user_errors
from domain.errors import DomainError
from push.anniversaries import models
from push.anniversaries.services import (
    AnniversarySpec,
    anniversary_offer,
    configure_anniversary_offer,
)


@strawberry.type(
    description="What members get on the anniversary of their first purchase, once a year, "
    "in their time zone (pushed within their preferences, quiet hours and daily cap; only "
    "while automations are on)."
)
class AnniversaryOffer:
    enabled: bool = strawberry.field(description="Whether anniversaries are celebrated.")
    points: int = strawberry.field(description="Bonus points given (0: none).")
    reward_code: str | None = strawberry.field(
        description="The reward given as a coupon, without spending points (null: none)."
    )
    local_hour: int = strawberry.field(
        description="Celebrated from this hour of the member's local day on (0-23)."
    )
    updated_at: datetime = strawberry.field(description="When an admin last changed it.")

    @classmethod
    def from_model(cls, offer: models.AnniversaryOffer) -> AnniversaryOffer:
        return cls(
            enabled=offer.enabled,
            points=offer.points,
            reward_code=offer.reward_code,
            local_hour=offer.local_hour,
            updated_at=offer.updated_at,
        )


@strawberry.input(description="The anniversary offer to save (it replaces the previous one).")
class AnniversaryOfferInput:
    enabled: bool = strawberry.field(description="Whether anniversaries are celebrated.")
    points: int = strawberry.field(default=0, description="Bonus points, 0 to 100,000.")
    reward_code: str | None = strawberry.field(
        default=None, description="An active reward's code, given as a coupon (null: none)."
    )
    local_hour: int = strawberry.field(
        default=9, description="From this hour of the member's local day on (0-23)."
    )


@strawberry.type(description="The result of configureAnniversaryOffer.")
class AnniversaryOfferPayload:
    offer: AnniversaryOffer | None = strawberry.field(
        description="The offer as saved; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was saved: INVALID_INPUT (points, localHour) or NOT_FOUND "
        "(rewardCode)."
    )


@strawberry.type
class Query:
    @strawberry.field(description="Admin: the anniversary offer; null until one is configured.")
    async def anniversary_offer(self, info: Info) -> AnniversaryOffer | None:
        info.context.require(Role.ADMIN)
        offer = await anniversary_offer()
        return AnniversaryOffer.from_model(offer) if offer else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: what members get on the anniversary of their first purchase."
    )
    async def configure_anniversary_offer(
        self, info: Info, input: AnniversaryOfferInput
    ) -> AnniversaryOfferPayload:
        info.context.require(Role.ADMIN)
        spec = AnniversarySpec(
            enabled=input.enabled,
            points=input.points,
            reward_code=input.reward_code,
            local_hour=input.local_hour,
        )
        try:
            saved = await configure_anniversary_offer(
                spec, info.context.now, info.context.runtime.push.coupons
            )
        except DomainError as error:
            return AnniversaryOfferPayload(offer=None, user_errors=user_errors(error))
        return AnniversaryOfferPayload(offer=AnniversaryOffer.from_model(saved), user_errors=[])
