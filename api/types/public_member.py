"""What other members may see of a member (leaderboards, referrals, raffle winners).

Pages of entries load their members through one per-request DataLoader: a page of 100 entries
costs one query, whatever the page.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.dataloader import DataLoader

from api.context import Info
from api.types.tier import Tier, ladder_loader
from domain.members import models
from domain.tiers.services import tier_held


@strawberry.type(
    description="What other members may see of a member: on leaderboards and referrals."
)
class PublicMember:
    id: strawberry.ID = strawberry.field(description="Fidelio's id of the member.")
    display_name: str = strawberry.field(description="The name the member shows to others.")
    tier: Tier = strawberry.field(
        description="The tier the member holds (the ladder is read once a request)."
    )


async def public_views(info: Info, members: Sequence[models.Member]) -> list[PublicMember]:
    """The public views of `members`, placed on the ladder read once for the request: plain
    values, so that a page of 100 entries costs no resolver per member."""
    ladder = await ladder_loader(info).load("ladder")
    tiers: dict[str, Tier] = {}
    views = []
    for member in members:
        held = tier_held(member, ladder)
        tier = tiers.get(held.code) or tiers.setdefault(held.code, Tier.from_model(held))
        views.append(
            PublicMember(
                id=strawberry.ID(str(member.id)), display_name=member.display_name, tier=tier
            )
        )
    return views


def public_members_loader() -> DataLoader[int, models.Member | None]:
    """Members by id in one query; None for unknown or erased members."""

    async def load(member_ids: Sequence[int]) -> list[models.Member | None]:
        found = {
            m.id: m
            for m in await models.Member.filter(id__in=list(member_ids), erased_at__isnull=True)
        }
        return [found.get(member_id) for member_id in member_ids]

    return DataLoader(load_fn=load)


async def public_members(info: Info, member_ids: Sequence[int]) -> list[models.Member | None]:
    """The members of `member_ids`, in order, through the request's loader (batched)."""
    loader = info.context.loader("public_members", public_members_loader)
    return list(await loader.load_many(list(member_ids)))
