"""GraphQL of what the console reads beside the key figures (admins, analysts included):
members found by id or name, members per tier, the most redeemed rewards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.common import MAX_PAGE_SIZE
from api.types.member import Member
from api.types.tier import ladder_loader
from domain.errors import DomainError, InvalidInput
from domain.kpis.breakdowns import (
    MAX_SEARCH,
    most_redeemed_rewards,
    search_members,
    tier_distribution,
)


@strawberry.type(description="How many members hold one tier now.")
class TierShare:
    level: int = strawberry.field(description="The tier's level (0: the base tier).")
    code: str | None = strawberry.field(
        description="The tier's code; null when no tier of the ladder has this level any more."
    )
    name: str | None = strawberry.field(description="The tier's name, as `code`.")
    members: int = strawberry.field(description="Members holding it (erased ones excluded).")


@strawberry.type(description="A reward and how often it was redeemed in a period.")
class RewardRedemptionCount:
    code: str = strawberry.field(description="The reward's code.")
    name: str = strawberry.field(description="The reward's name.")
    redemptions: int = strawberry.field(
        description="Coupons issued for it in the period (used, active or expired alike)."
    )
    points_spent: int = strawberry.field(description="Points members spent on those coupons.")


def _first(first: int, limit: int) -> int:
    if not 1 <= first <= limit:
        raise to_client_error(InvalidInput(f"first must be between 1 and {limit}", ["first"]))
    return first


@strawberry.type
class Query:
    @strawberry.field(
        description="Admin: members whose customer id starts with `text` or whose name contains "
        "it (ignoring case), the exact customer id first, then by name. Erased members are "
        "never found."
    )
    async def search_members(
        self,
        info: Info,
        text: Annotated[str, strawberry.argument(description="A customer id or part of a name.")],
        first: Annotated[int, strawberry.argument(description="At most 50.")] = 20,
    ) -> list[Member]:
        info.context.require(Role.ADMIN)
        return [Member.from_model(m) for m in await search_members(text, _first(first, MAX_SEARCH))]

    @strawberry.field(description="Admin: how many members hold each tier now, by level.")
    async def tier_distribution(self, info: Info) -> list[TierShare]:
        info.context.require(Role.ADMIN)
        ladder = {t.level: t for t in await ladder_loader(info).load("ladder")}
        shares = {c.level: c.members for c in await tier_distribution()}
        levels = sorted(set(ladder) | set(shares))
        return [
            TierShare(
                level=level,
                code=ladder[level].code if level in ladder else None,
                name=ladder[level].name if level in ladder else None,
                members=shares.get(level, 0),
            )
            for level in levels
        ]

    @strawberry.field(
        description="Admin: the rewards redeemed most over [from, to), most first (ties by code)."
    )
    async def most_redeemed_rewards(
        self,
        info: Info,
        from_: Annotated[
            datetime,
            strawberry.argument(name="from", description="Start (included), with a time zone."),
        ],
        to: Annotated[datetime, strawberry.argument(description="End (excluded).")],
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 10,
    ) -> list[RewardRedemptionCount]:
        info.context.require(Role.ADMIN)
        try:
            rows = await most_redeemed_rewards(from_, to, _first(first, MAX_PAGE_SIZE))
        except DomainError as error:
            raise to_client_error(error) from error
        return [
            RewardRedemptionCount(
                code=r.code, name=r.name, redemptions=r.redemptions, points_spent=r.points
            )
            for r in rows
        ]
