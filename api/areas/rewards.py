"""GraphQL of the rewards area: the catalogue, redeeming, and coupons at the checkout."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import strawberry

from api.auth import Role
from api.context import Info
from api.ids import parse_id
from api.language import language_for, reader_language
from api.lookahead import asks_for
from api.types.common import UserError, user_errors
from api.types.drops import DropClaim
from api.types.points import PointsSummary
from api.types.rewards import Redemption, Reward, RewardKind, read_own_row_and_standing
from api.types.translations import TranslationInput, drafts
from domain.drops.checkout import complete_drop_claim, is_drop_coupon_code
from domain.errors import DomainError
from domain.points import ledger
from domain.rewards import catalogue, coupons, redemption
from domain.rewards.models import Reward as RewardModel
from domain.rewards.models import RewardKind as RewardKindModel


@strawberry.input(description="A reward to create, or to replace when its code exists.")
class RewardInput:
    code: str = strawberry.field(description="The reward's unique code: the upsert key.")
    name: str = strawberry.field(description="1-120 characters.")
    description: str = strawberry.field(description="Up to 1000 characters.")
    kind: RewardKind = strawberry.field(description="What the reward gives.")
    cost_points: int = strawberry.field(description="Points a redemption spends (0 or more).")
    value: Decimal | None = strawberry.field(
        default=None,
        description="Discounts only: the percent (more than 0, at most 100) or the amount.",
    )
    min_tier_level: int | None = strawberry.field(
        default=0, description="Lowest tier level that may redeem it."
    )
    stock: int | None = strawberry.field(
        default=None,
        description="Coupons available in total (coupons already out count against it). "
        "Null: unlimited.",
    )
    per_member_limit: int | None = strawberry.field(
        default=None, description="Most coupons one member may hold or have used."
    )
    coupon_valid_days: int | None = strawberry.field(
        default=30, description="Days a coupon stays valid (1-3650). Null: never expires."
    )
    active: bool | None = strawberry.field(
        default=True, description="False withdraws it from the catalogue."
    )
    translations: list[TranslationInput] | None = strawberry.field(
        default=None,
        description="Its name and description per locale, served to members in theirs. Null "
        "keeps those entered before; [] removes them all.",
    )


@strawberry.type(description="The result of upsertReward.")
class RewardPayload:
    reward: Reward | None = strawberry.field(description="The reward as saved; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="The reward to redeem.")
class RedeemRewardInput:
    reward_id: strawberry.ID = strawberry.field(description="The reward's id.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first redemption."
    )


@strawberry.type(description="The result of redeemReward.")
class RedeemRewardPayload:
    redemption: Redemption | None = strawberry.field(
        description="The coupon; null when nothing was redeemed."
    )
    points: PointsSummary | None = strawberry.field(
        description="The member's points after the redemption."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was redeemed (then no points were spent)."
    )


@strawberry.input(description="A coupon the shop applies to an order.")
class UseCouponInput:
    code: str = strawberry.field(description="The coupon code as the customer gave it.")
    order_id: str = strawberry.field(description="The shop's order id.")


@strawberry.type(description="The result of useCoupon.")
class UseCouponPayload:
    redemption: Redemption | None = strawberry.field(
        description="The reward coupon, now USED; null on errors and for drop codes."
    )
    drop_claim: DropClaim | None = strawberry.field(
        default=None,
        description="For a drop's code (DR-...): the reserved or won unit, now bought.",
    )
    user_errors: list[UserError] = strawberry.field(
        description="INVALID_CODE (unknown or cancelled), ALREADY_USED (for another order) "
        "or EXPIRED."
    )


def _reward_id(raw: str) -> int:
    return parse_id(raw, ["input", "rewardId"], "reward on offer")


@strawberry.type
class Query:
    @strawberry.field(
        description="The rewards on offer, cheapest first. Admins may include withdrawn ones."
    )
    async def rewards(self, info: Info, include_inactive: bool = False) -> list[Reward]:
        principal = info.context.require()
        if asks_for(info, "canRedeem"):
            # A member's row and standing, with the versions the shelf is checked against
            # next, in one statement (nothing for other callers).
            await read_own_row_and_standing(info)
        if include_inactive and principal.role == Role.ADMIN:
            found: Sequence[RewardModel] = await catalogue.all_rewards()
        else:
            runtime = info.context.runtime
            found = await runtime.rewards.active(await info.context.versions())
        language = await language_for(info, found)
        return [Reward.from_model(r, language) for r in found]

    @strawberry.field(
        description="Shop backend: look a reward coupon (FD-...) up before applying it at "
        "checkout; a drop's code (DR-...) is looked up with dropCoupon."
    )
    async def coupon(self, info: Info, code: str) -> Redemption | None:
        info.context.require(Role.SERVICE, Role.ADMIN)
        found = await coupons.find_coupon(code)
        return Redemption.from_model(found, info.context.now) if found else None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admin: create or replace a reward, keyed by its code.")
    async def upsert_reward(self, info: Info, input: RewardInput) -> RewardPayload:
        actor = info.context.admin()
        spec = catalogue.RewardSpec(
            code=input.code,
            name=input.name,
            description=input.description,
            kind=RewardKindModel(input.kind.value),
            cost_points=input.cost_points,
            value=input.value,
            min_tier_level=input.min_tier_level if input.min_tier_level is not None else 0,
            stock=input.stock,
            per_member_limit=input.per_member_limit,
            coupon_valid_days=input.coupon_valid_days,
            active=input.active if input.active is not None else True,
            translations=drafts(input.translations),
        )
        try:
            reward, _ = await catalogue.upsert_reward(spec, info.context.now, actor)
        except DomainError as error:
            return RewardPayload(reward=None, user_errors=user_errors(error))
        return RewardPayload(
            reward=Reward.from_model(reward, await reader_language(info)), user_errors=[]
        )

    @strawberry.mutation(
        description="Spend points on a reward and get its coupon. Nothing is spent on errors."
    )
    async def redeem_reward(self, info: Info, input: RedeemRewardInput) -> RedeemRewardPayload:
        member = await info.context.member()
        now = info.context.now
        try:
            result = await redemption.redeem_reward(
                member,
                _reward_id(input.reward_id),
                input.idempotency_key,
                now,
                info.context.runtime.observer,
            )
        except DomainError as error:
            return RedeemRewardPayload(redemption=None, points=None, user_errors=user_errors(error))
        points = PointsSummary.from_summary(await ledger.summary(member.id, now))
        return RedeemRewardPayload(
            redemption=Redemption.from_model(result.redemption, now),
            points=points,
            user_errors=[],
        )

    @strawberry.mutation(description="Shop backend: mark a coupon used for an order, exactly once.")
    async def use_coupon(self, info: Info, input: UseCouponInput) -> UseCouponPayload:
        principal = info.context.require(Role.SERVICE, Role.ADMIN)
        # An admin's use is an admin change (audited); the shop's checkout is not.
        actor = info.context.admin() if principal.role == Role.ADMIN else None
        now = info.context.now
        if is_drop_coupon_code(input.code):
            # One checkout field for every code: a drop's code completes its reservation.
            try:
                claim = await complete_drop_claim(input.code, input.order_id, now, actor)
            except DomainError as error:
                return UseCouponPayload(redemption=None, user_errors=user_errors(error))
            return UseCouponPayload(
                redemption=None, drop_claim=DropClaim.from_model(claim), user_errors=[]
            )
        try:
            used = await coupons.use_coupon(input.code, input.order_id, now, actor)
        except DomainError as error:
            return UseCouponPayload(redemption=None, user_errors=user_errors(error))
        return UseCouponPayload(redemption=Redemption.from_model(used, now), user_errors=[])
