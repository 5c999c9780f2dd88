"""GraphQL types of the rewards catalogue and of coupons (redemptions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from api.context import Info
from api.errors import to_client_error
from api.fragments import cached_object
from api.language import reader_language
from api.own_row import own_public_row, own_row_with
from api.types.common import page_size
from api.types.translations import Translation, translations_of
from domain.errors import DomainError
from domain.members.services import WithMember
from domain.rewards import catalogue, coupons, models
from domain.translations import Language


@strawberry.enum(description="What a reward gives.")
class RewardKind(Enum):
    PERCENT_DISCOUNT = strawberry.enum_value(
        "PERCENT_DISCOUNT", description="A percentage off an order (value: the percent)."
    )
    FIXED_DISCOUNT = strawberry.enum_value(
        "FIXED_DISCOUNT", description="An amount off an order (value: the amount)."
    )
    FREE_SHIPPING = strawberry.enum_value("FREE_SHIPPING", description="Free shipping.")
    PRODUCT = strawberry.enum_value("PRODUCT", description="A product for free.")


@strawberry.enum(description="Where a coupon stands.")
class CouponStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Can be used at checkout.")
    USED = strawberry.enum_value("USED", description="Used for an order.")
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Past its expiry, unused (its points may have come back)."
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="Cancelled unused; its points came back."
    )


def can_redeem_loader(info: Info) -> DataLoader[models.Reward, bool]:
    """`canRedeem` of many rewards for the signed-in member in one query (False for other
    callers). The member is read as its public row; one seen for the first time is created."""

    async def load(rewards: Sequence[models.Reward]) -> list[bool]:
        member: catalogue.Holder | None = await own_public_row(info)
        if member is None:
            member = await info.context.member_or_none()
        if member is None:
            return [False for _ in rewards]
        member_id, now = member.id, info.context.now
        # settled already when read with the member's row (`read_own_row_and_standing`)
        standing = await info.context.once(
            _STANDING, lambda: catalogue.redeem_standing(member_id, now)
        )
        found = await catalogue.can_redeem_all(member, list(rewards), now, standing)
        return [found[r.id] for r in rewards]

    return DataLoader(load_fn=load, cache_key_fn=lambda reward: reward.id)


_STANDING = "rewards.standing"
_OWN_ROW_AND_STANDING = WithMember(
    catalogue.BALANCE_AND_HELD,
    catalogue.BALANCE_AND_HELD_COLUMNS,
    member=2,
    lean=True,
    versions=True,
)


async def read_own_row_and_standing(info: Info) -> None:
    """For a member's rewards screen that shows `canRedeem`: the member's public row (their
    tier, their locale), their standing (balance, coupons held) and the configuration's
    versions (which the rewards' shelf is checked against next) in one statement, before
    the rewards resolve (`own_row_with`)."""
    principal = info.context.principal
    if principal is not None:
        await own_row_with(
            info,
            _STANDING,
            _OWN_ROW_AND_STANDING,
            (info.context.now, principal.subject),
            catalogue.standing_of_rows,
        )


def rewards_by_id_loader() -> DataLoader[int, models.Reward]:
    async def load(ids: Sequence[int]) -> list[models.Reward]:
        found = {r.id: r for r in await models.Reward.filter(id__in=list(ids))}
        return [found[i] for i in ids]

    return DataLoader(load_fn=load)


@cached_object(private=frozenset({"canRedeem", "translations"}))
@strawberry.type(description="Something members spend points on.")
class Reward:
    model: strawberry.Private[models.Reward]
    id: strawberry.ID = strawberry.field(description="The reward's id (redeemReward's rewardId).")
    code: str = strawberry.field(description="The admin's code of the reward, unique.")
    name: str = strawberry.field(description="The name shown to members.")
    description: str = strawberry.field(description="What the member gets, for people.")
    kind: RewardKind = strawberry.field(description="What the reward gives.")
    cost_points: int = strawberry.field(description="Points a redemption spends.")
    value: Decimal | None = strawberry.field(
        description="Percent or amount for discounts; null for other kinds."
    )
    min_tier_level: int = strawberry.field(description="Lowest tier level that may redeem it.")
    remaining_stock: int | None = strawberry.field(
        description="Coupons that can still be issued. Null: unlimited."
    )
    stock: int | None = strawberry.field(
        description="Coupons made available in total. Null: unlimited."
    )
    per_member_limit: int | None = strawberry.field(
        description="Most coupons of it one member may hold or have used. Null: no limit."
    )
    coupon_valid_days: int | None = strawberry.field(
        description="Days a coupon stays valid after redemption. Null: it never expires."
    )
    active: bool = strawberry.field(description="Whether it is on offer.")

    @classmethod
    def from_model(cls, reward: models.Reward, language: Language) -> Reward:
        """The reward as a reader of `language` sees it (its texts are part of the fragment
        cache's key, as every plain field is)."""
        return cls(
            model=reward,
            id=strawberry.ID(str(reward.id)),
            code=reward.code,
            name=language.text(reward.translations, "name", reward.name),
            description=language.text(reward.translations, "description", reward.description),
            kind=RewardKind(reward.kind.value),
            cost_points=reward.cost_points,
            value=reward.value,
            min_tier_level=reward.min_tier_level,
            remaining_stock=reward.remaining_stock,
            stock=reward.stock,
            per_member_limit=reward.per_member_limit,
            coupon_valid_days=reward.coupon_valid_days,
            active=reward.active,
        )

    @strawberry.field(
        description="Every name and description entered per locale (for the console). "
        "Members read name and description in their locale, then its language, then the "
        "program's default locale, then the base texts."
    )
    def translations(self) -> list[Translation]:
        return translations_of(self.model.translations)

    @strawberry.field(
        description="For the signed-in member: enough points, tier, stock and limit. "
        "False for other callers."
    )
    async def can_redeem(self, info: Info) -> bool:
        loader = info.context.loader("rewards.canRedeem", lambda: can_redeem_loader(info))
        return await loader.load(self.model)


@strawberry.type(description="A redeemed reward: the coupon the member shows at checkout.")
class Redemption:
    model: strawberry.Private[models.Redemption]
    id: strawberry.ID = strawberry.field(description="The redemption's id.")
    points_spent: int = strawberry.field(description="Points the redemption spent.")
    coupon_code: str = strawberry.field(
        description="The code to give at checkout, e.g. FD-7KQ2-XM9D-CT4B-HW (case, spaces "
        "and dashes do not matter)."
    )
    status: CouponStatus = strawberry.field(
        description="Where the coupon stands now (past its expiry it is EXPIRED)."
    )
    created_at: datetime = strawberry.field(description="When it was redeemed.")
    expires_at: datetime | None = strawberry.field(
        description="When the coupon stops being valid. Null: never."
    )
    used_at: datetime | None = strawberry.field(description="When it was used, if it was.")
    used_order_id: str | None = strawberry.field(
        description="The shop's order it was used for, if it was."
    )
    points_returned: int = strawberry.field(
        description="Points given back because the coupon expired or was cancelled unused."
    )

    @classmethod
    def from_model(cls, redemption: models.Redemption, now: datetime) -> Redemption:
        return cls(
            model=redemption,
            id=strawberry.ID(str(redemption.id)),
            points_spent=redemption.points_spent,
            coupon_code=redemption.code,
            status=CouponStatus(redemption.status_at(now).value),
            created_at=redemption.created_at,
            expires_at=redemption.expires_at,
            used_at=redemption.used_at,
            used_order_id=redemption.used_order_id,
            points_returned=redemption.points_returned,
        )

    @strawberry.field(description="The reward redeemed.")
    async def reward(self, info: Info) -> Reward:
        loader = info.context.loader("rewards.byId", rewards_by_id_loader)
        reward = await loader.load(self.model.reward_id)
        return Reward.from_model(reward, await reader_language(info))


def _redemptions_loader(
    status: CouponStatus | None, now: datetime, limit: int
) -> DataLoader[int, list[models.Redemption]]:
    async def load(member_ids: Sequence[int]) -> list[list[models.Redemption]]:
        stored = models.CouponStatus(status.value) if status is not None else None
        found = await coupons.coupons_of(list(member_ids), stored, now, limit)
        return [found[m] for m in member_ids]

    return DataLoader(load_fn=load)


async def member_redemptions(
    info: Info, member_id: int, status: CouponStatus | None, first: int
) -> list[Redemption]:
    """`Member.redemptions`: one query for every member of the response."""
    try:
        size = page_size(first, ["first"])
    except DomainError as error:
        raise to_client_error(error) from None
    now = info.context.now
    loader = info.context.loader(
        f"rewards.redemptions:{status}:{size}", lambda: _redemptions_loader(status, now, size)
    )
    return [Redemption.from_model(r, now) for r in await loader.load(member_id)]
