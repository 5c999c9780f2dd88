"""GraphQL types of purchases and of what an action unlocked (`Awards`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.context import Info
from api.language import reader_language
from api.types.achievements import AchievementAwards
from api.types.common import Channel
from api.types.tier import Tier, ladder_loader
from domain import activity
from domain.purchases.models import Purchase as PurchaseModel

CENT = Decimal("0.01")


@strawberry.type(description="An order the shop recorded, with the points it earned.")
class Purchase:
    id: strawberry.ID = strawberry.field(description="Fidelio's id of the purchase.")
    order_id: str = strawberry.field(description="The shop's order id.")
    amount: Decimal = strawberry.field(description="What the customer paid.")
    refunded_amount: Decimal = strawberry.field(description="How much has been refunded.")
    currency: str = strawberry.field(description="ISO 4217 currency code.")
    channel: Channel = strawberry.field(description="App, web or store.")
    store_code: str | None = strawberry.field(description="The store, for store purchases.")
    points_earned: int = strawberry.field(description="Points the purchase earned.")
    occurred_at: datetime = strawberry.field(description="When the purchase happened.")

    @classmethod
    def from_model(cls, purchase: PurchaseModel) -> Purchase:
        return cls(
            id=strawberry.ID(str(purchase.id)),
            order_id=purchase.order_id,
            amount=Decimal(purchase.amount).quantize(CENT),
            refunded_amount=Decimal(purchase.refunded_amount).quantize(CENT),
            currency=purchase.currency,
            channel=Channel(purchase.channel.value),
            store_code=purchase.store_code,
            points_earned=purchase.points_earned,
            occurred_at=purchase.occurred_at,
        )


@strawberry.type(description="What one event unlocked for the member.")
class Awards(AchievementAwards):
    awards: strawberry.Private[activity.Awards]
    locale: strawberry.Private[str]
    points_awarded: int = strawberry.field(
        description="Points the event credited: its own points plus any bonus it unlocked."
    )

    @classmethod
    def from_awards(cls, awards: activity.Awards, member_id: int, locale: str) -> Awards:
        return cls(
            awards=awards,
            member_id=member_id,
            badge_ids=list(awards.badge_ids),
            challenge_ids=list(awards.challenge_ids),
            locale=locale,
            points_awarded=awards.points_awarded,
        )

    @strawberry.field(description="Set when the event moved the member to another tier.")
    async def new_tier(self, info: Info) -> Tier | None:
        if self.awards.new_tier_code is None:
            return None
        ladder = await ladder_loader(info).load("ladder")
        found = next((t for t in ladder if t.code == self.awards.new_tier_code), None)
        return Tier.from_model(found, await reader_language(info)) if found else None
