"""GraphQL of points and tiers: the ladder, earning rules and manual adjustments (admins)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.auth import Role
from api.context import Info
from api.language import language_for, reader_language
from api.types.common import Channel, UserError, user_errors
from api.types.points import EarningRules, PointsSummary
from api.types.tier import Tier, ladder_loader
from api.types.translations import TranslationInput, drafts
from domain.errors import DomainError
from domain.points import services as points_services
from domain.points.rules import earning_rules
from domain.tiers import services as tier_services
from domain.tiers.ladder import TierSpec


def _decimal(value: float) -> Decimal:
    """A GraphQL Float as the decimal people typed (1.1 stays 1.1, not 1.100000000000000088)."""
    return Decimal(repr(value))


@strawberry.input(description="A tier of the ladder, keyed by code.")
class TierInput:
    code: str = strawberry.field(description="Unique code, e.g. GOLD (upper-cased).")
    name: str = strawberry.field(description="Name for people, 1-80 characters.")
    level: int = strawberry.field(description="0 for the base tier; unique.")
    qualifying_points: int = strawberry.field(
        description="Points to earn in the window; 0 for the base tier, rising with the level."
    )
    points_multiplier: float = strawberry.field(description="Above 0, at most 100.")
    benefits: list[str] | None = strawberry.field(
        default=None, description="Benefit lines shown to members."
    )
    translations: list[TranslationInput] | None = strawberry.field(
        default=None,
        description="The tier's name per locale (no description). Null keeps those entered "
        "before; [] removes them all.",
    )


@strawberry.type(description="The result of configureTiers.")
class ConfigureTiersPayload:
    tiers: list[Tier] = strawberry.field(description="The ladder now (unchanged on errors).")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="An item category that earns more (or fewer) points.")
class CategoryMultiplierInput:
    category: str = strawberry.field(description="The category, matched case-insensitively.")
    multiplier: float = strawberry.field(description="0-100: 0 earns nothing, 2 earns double.")


@strawberry.input(description="A channel whose purchases earn more (or fewer) points.")
class ChannelMultiplierInput:
    channel: Channel = strawberry.field(description="APP, WEB or STORE.")
    multiplier: float = strawberry.field(description="0-100: 0 earns nothing, 2 earns double.")


@strawberry.input(description="How members earn points.")
class EarningRulesInput:
    points_per_currency_unit: float = strawberry.field(
        description="Points per one unit of the program's currency spent."
    )
    category_multipliers: list[CategoryMultiplierInput] | None = strawberry.field(
        default=None, description="Multipliers of item categories (1 for those not listed)."
    )
    pending_days: int = strawberry.field(
        description="Days before earned points become spendable (the return window)."
    )
    expiry_days: int | None = strawberry.field(
        default=None, description="Days after which unspent points expire; null: never."
    )
    tier_window_months: int = strawberry.field(
        description="Months of earned points that count towards a tier."
    )
    referrer_points: int = strawberry.field(description="Points for a referrer.")
    referee_points: int = strawberry.field(description="Points for a referred friend.")
    share_points: int = strawberry.field(description="Points for a share.")
    review_points: int = strawberry.field(description="Points for a review.")
    survey_points: int = strawberry.field(description="Points for a survey answer.")
    engagement_daily_cap: int = strawberry.field(
        description="At most this many engagement awards of one kind a day."
    )
    channel_multipliers: list[ChannelMultiplierInput] | None = strawberry.field(
        default=None,
        description="Multipliers of the channels a purchase is made through (1 for those not "
        "listed); null keeps those set before, [] removes them all.",
    )


@strawberry.type(description="The result of configureEarningRules.")
class ConfigureEarningRulesPayload:
    earning_rules: EarningRules | None = strawberry.field(
        description="The rules now; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="A manual correction of a member's points.")
class AdjustPointsInput:
    customer_id: str = strawberry.field(description="The shop's customer id of the member.")
    delta: int = strawberry.field(description="Points to add (positive) or take (negative).")
    reason: str = strawberry.field(description="Why, 1-200 characters; kept in the ledger.")


@strawberry.type(description="The result of adjustPoints.")
class AdjustPointsPayload:
    points: PointsSummary | None = strawberry.field(
        description="The member's points after the adjustment; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class Query:
    @strawberry.field(description="The tier ladder, from the base tier up.")
    async def tiers(self, info: Info) -> list[Tier]:
        info.context.require()
        ladder = await ladder_loader(info).load("ladder")
        language = await language_for(info, ladder)
        return [Tier.from_model(t, language) for t in ladder]

    @strawberry.field(description="Admin: the program's earning rules.")
    async def earning_rules(self, info: Info) -> EarningRules:
        info.context.require(Role.ADMIN)
        return EarningRules.from_model(await earning_rules())


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: replace the tier ladder (upsert by code; tiers left out are removed)."
    )
    async def configure_tiers(self, info: Info, input: list[TierInput]) -> ConfigureTiersPayload:
        actor = info.context.admin()
        specs = [
            TierSpec(
                code=t.code,
                name=t.name,
                level=t.level,
                qualifying_points=t.qualifying_points,
                points_multiplier=_decimal(t.points_multiplier),
                benefits=tuple(t.benefits or ()),
                translations=drafts(t.translations),
            )
            for t in input
        ]
        language = await reader_language(info)
        try:
            tiers = await tier_services.configure_tiers(specs, info.context.now, actor)
        except DomainError as error:
            current = await tier_services.tier_ladder()
            return ConfigureTiersPayload(
                tiers=[Tier.from_model(t, language) for t in current],
                user_errors=user_errors(error),
            )
        return ConfigureTiersPayload(
            tiers=[Tier.from_model(t, language) for t in tiers], user_errors=[]
        )

    @strawberry.mutation(description="Admin: replace the program's earning rules.")
    async def configure_earning_rules(
        self, info: Info, input: EarningRulesInput
    ) -> ConfigureEarningRulesPayload:
        actor = info.context.admin()
        rules = points_services.EarningRulesInput(
            points_per_currency_unit=_decimal(input.points_per_currency_unit),
            category_multipliers=tuple(
                (c.category, _decimal(c.multiplier)) for c in input.category_multipliers or ()
            ),
            pending_days=input.pending_days,
            expiry_days=input.expiry_days,
            tier_window_months=input.tier_window_months,
            referrer_points=input.referrer_points,
            referee_points=input.referee_points,
            share_points=input.share_points,
            review_points=input.review_points,
            survey_points=input.survey_points,
            engagement_daily_cap=input.engagement_daily_cap,
            channel_multipliers=(
                None
                if input.channel_multipliers is None
                else tuple(
                    (c.channel.value, _decimal(c.multiplier)) for c in input.channel_multipliers
                )
            ),
        )
        try:
            saved = await points_services.configure_earning_rules(rules, info.context.now, actor)
        except DomainError as error:
            return ConfigureEarningRulesPayload(earning_rules=None, user_errors=user_errors(error))
        return ConfigureEarningRulesPayload(
            earning_rules=EarningRules.from_model(saved), user_errors=[]
        )

    @strawberry.mutation(
        description="Admin: add or take points by hand, with a reason (recorded as ADJUST)."
    )
    async def adjust_points(self, info: Info, input: AdjustPointsInput) -> AdjustPointsPayload:
        actor = info.context.admin()
        try:
            summary = await points_services.adjust_points(
                input.customer_id,
                input.delta,
                input.reason,
                actor,
                info.context.now,
                info.context.runtime.program,
            )
        except DomainError as error:
            return AdjustPointsPayload(points=None, user_errors=user_errors(error))
        return AdjustPointsPayload(points=PointsSummary.from_summary(summary), user_errors=[])
