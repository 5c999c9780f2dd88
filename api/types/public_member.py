"""What other members may see of a member (leaderboards, referrals, raffle winners).

A page of entries reads its members in one statement of the few columns the view needs
(`public_rows`, through `api.own_row.rows_by_id`), and places them on the ladder read once
for the request: a page of 100 entries costs one query and no resolver per member.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from api.context import Info
from api.language import shared_language
from api.own_row import PublicRow, own_public_row, public_row, rows_by_id
from api.types.tier import Tier, ladder_loader
from domain.members import models
from domain.tiers.models import Tier as TierModel
from domain.tiers.services import tier_held
from domain.versions import Versions


@strawberry.type(
    description="What other members may see of a member: on leaderboards and referrals."
)
class PublicMember:
    id: strawberry.ID = strawberry.field(description="Fidelio's id of the member.")
    display_name: str = strawberry.field(description="The name the member shows to others.")
    tier: Tier = strawberry.field(
        description="The tier the member holds (the ladder is read once a request)."
    )


async def public_rows(member_ids: Sequence[int]) -> list[PublicRow | None]:
    """The members of `member_ids`, in order, in one statement; None for unknown or erased
    members."""
    found = {int(r["id"]): public_row(r) for r in await rows_by_id(member_ids)}
    return [found.get(member_id) for member_id in member_ids]


async def public_views(
    info: Info, members: Sequence[models.Member | PublicRow], versions: Versions | None = None
) -> list[PublicMember]:
    """The public views of `members`, placed on the ladder read once for the request (or as
    of `versions`, when the caller holds a read of them): plain values, so that a page of 100
    entries costs no resolver per member."""
    if not members:
        return []
    if versions is None:
        ladder: Sequence[TierModel] = await ladder_loader(info).load("ladder")
    else:
        ladder = await info.context.runtime.program.ladder(versions)
    return views_on(info, members, ladder)


def views_on(
    info: Info, members: Sequence[models.Member | PublicRow], ladder: Sequence[TierModel]
) -> list[PublicMember]:
    """`public_views` with the ladder at hand (no await)."""
    # Pages of boards are kept for every reader alike: other members' tiers read in the
    # program's default language, whoever asks.
    language = shared_language(info)
    tiers: dict[str, Tier] = {}
    views = []
    for member in members:
        held = tier_held(member, ladder)
        tier = tiers.get(held.code) or tiers.setdefault(held.code, Tier.from_model(held, language))
        views.append(
            PublicMember(
                id=strawberry.ID(str(member.id)), display_name=member.display_name, tier=tier
            )
        )
    return views


__all__ = [
    "PublicMember",
    "PublicRow",
    "own_public_row",
    "public_rows",
    "public_views",
    "views_on",
]
