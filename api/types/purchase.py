"""GraphQL types of purchases and of what an action unlocked (`Awards`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.context import Info, later
from api.language import reader_language
from api.types.achievements import (
    AchievementAwards,
    Badge,
    Challenge,
    badge_views_loader,
    challenges_of,
)
from api.types.common import Channel, UserError
from api.types.points import PointsSummary
from api.types.tier import Tier, ladder_loader
from domain import activity
from domain.purchases import plan, preview
from domain.purchases.models import Purchase as PurchaseModel
from domain.translations import Language

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
    def new_tier(self, info: Info) -> Tier | None:
        return None if self.awards.new_tier_code is None else later(self._new_tier(info))

    async def _new_tier(self, info: Info) -> Tier | None:
        ladder = await ladder_loader(info).load("ladder")
        found = next((t for t in ladder if t.code == self.awards.new_tier_code), None)
        return Tier.from_model(found, await reader_language(info)) if found else None


@strawberry.type(description="A category of the order that carries a multiplier.")
class CategoryShare:
    category: str = strawberry.field(description="The category, as the earning rules name it.")
    multiplier: float = strawberry.field(description="Its multiplier in the earning rules.")
    share: float = strawberry.field(
        description="The share of the items' total in this category, from 0 to 1."
    )


@strawberry.type(description="The factors behind an order's points, multiplied then rounded down.")
class EarningBreakdown:
    points_per_currency_unit: float = strawberry.field(
        description="Points per unit of the amount paid (the earning rules)."
    )
    category_weight: float = strawberry.field(
        description="The order's category multiplier: each line's multiplier weighted by its "
        "share of the items' total (1 without items or multipliers)."
    )
    categories: list[CategoryShare] = strawberry.field(
        description="The order's categories that carry a multiplier."
    )
    tier_multiplier: float = strawberry.field(
        description="The multiplier of the tier held before the order."
    )
    tier: Tier = strawberry.field(description="The tier whose multiplier applied.")
    channel_multiplier: float = strawberry.field(
        default=1.0,
        description="The multiplier of the order's channel in the earning rules (1 for a "
        "channel without one).",
    )

    @classmethod
    def from_breakdown(
        cls, breakdown: plan.EarningBreakdown, language: Language
    ) -> EarningBreakdown:
        return cls(
            points_per_currency_unit=float(breakdown.points_per_currency_unit),
            category_weight=float(breakdown.category_weight),
            categories=[
                CategoryShare(
                    category=c.category, multiplier=float(c.multiplier), share=float(c.share)
                )
                for c in breakdown.categories
            ],
            tier_multiplier=float(breakdown.tier_multiplier),
            tier=Tier.from_model(breakdown.tier, language),
            channel_multiplier=float(breakdown.channel_multiplier),
        )


@strawberry.type(
    description="What recording an order would award now, computed without recording it."
)
class PurchasePreview:
    preview: strawberry.Private[preview.PurchasePreview]

    @strawberry.field(
        description="The order id was recorded already: recording it again awards nothing "
        "more, and the figures are those of the first recording."
    )
    def already_recorded(self) -> bool:
        return self.preview.replay is not None

    @strawberry.field(
        description="Whether the customer is a member already (a first purchase creates them)."
    )
    def member_known(self) -> bool:
        return self.preview.member_known

    @strawberry.field(description="Points of the order itself, before any bonus.")
    def points_earned(self) -> int:
        if self.preview.replay is not None:
            return self.preview.replay.purchase.points_earned
        assert self.preview.plan is not None
        return self.preview.plan.points

    @strawberry.field(
        description="When the order's points become spendable: the end of the return window "
        "after the purchase. Null for an order recorded already."
    )
    def available_at(self) -> datetime | None:
        return self.preview.plan.available_at if self.preview.plan is not None else None

    @strawberry.field(
        description="Whether the order's points would wait in the return window (pending) "
        "rather than be spendable at once."
    )
    def pending(self, info: Info) -> bool:
        found = self.preview.plan
        return found is not None and found.pending_at(info.context.now)

    @strawberry.field(
        description="When the order's points would expire if unspent; null: never (or "
        "recorded already)."
    )
    def expires_at(self) -> datetime | None:
        return self.preview.plan.expires_at if self.preview.plan is not None else None

    @strawberry.field(
        description="The factors of the order's points; null for an order recorded already."
    )
    async def earning(self, info: Info) -> EarningBreakdown | None:
        found = self.preview.plan
        if found is None:
            return None
        return EarningBreakdown.from_breakdown(found.breakdown, await reader_language(info))

    @strawberry.field(description="Bonus points of the badges and challenges it completes.")
    def bonus_points(self) -> int:
        return self.preview.bonus_points

    @strawberry.field(
        description="Every point the order would credit: its own plus the bonus, as "
        "recordPurchase's awards.pointsAwarded."
    )
    def points_awarded(self) -> int:
        return self.preview.awards.points_awarded

    @strawberry.field(
        description="The member's points as the order would leave them; null for an order "
        "recorded already."
    )
    def points_after(self) -> PointsSummary | None:
        figures = self.preview.points
        if figures is None:
            return None
        return PointsSummary(
            member_id=None,
            known_expiries=[],
            balance=figures.balance,
            pending=figures.pending,
            lifetime_earned=figures.lifetime_earned,
        )

    @strawberry.field(description="The tier the member would hold after the order.")
    async def tier(self, info: Info) -> Tier | None:
        if self.preview.tier is not None:
            return Tier.from_model(self.preview.tier, await reader_language(info))
        # `new_tier` is a strawberry field: the decorator hides its type.
        tier: Tier | None = await self.new_tier(info)
        return tier

    @strawberry.field(description="Set when the order would move the member to another tier.")
    async def new_tier(self, info: Info) -> Tier | None:
        code = self.preview.awards.new_tier_code
        if code is None:
            return None
        ladder = await ladder_loader(info).load("ladder")
        found = next((t for t in ladder if t.code == code), None)
        return Tier.from_model(found, await reader_language(info)) if found else None

    @strawberry.field(description="Badges the order would earn, in the order of awarding.")
    async def badges(self, info: Info) -> list[Badge]:
        ids = self.preview.awards.badge_ids
        if not ids:
            return []
        views = await badge_views_loader(info).load_many(ids)
        return [Badge(view=view) for view in views if view is not None]

    @strawberry.field(description="Challenges the order would complete (in their current period).")
    async def completed_challenges(self, info: Info) -> list[Challenge]:
        ids = self.preview.awards.challenge_ids
        if not ids:
            return []
        shelf = await info.context.runtime.challenges.all(await info.context.versions())
        found = {c.id: c for c in shelf}
        return await challenges_of(info, [found[i] for i in ids if i in found])


@strawberry.type(description="The result of previewPurchase.")
class PurchasePreviewPayload:
    preview: PurchasePreview | None = strawberry.field(
        description="What recording the order would award; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the order could not be recorded (as recordPurchase reports it)."
    )
