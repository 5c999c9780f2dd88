"""What other members may see of a member (leaderboards, referrals, raffle winners).

A page of entries reads its members in one statement of the four columns the view needs
(`public_rows`), and places them on the ladder read once for the request: a page of 100
entries costs one query and no resolver per member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import strawberry

from api.auth import Role
from api.context import Info
from api.types.tier import Tier, ladder_loader
from domain.members import models
from domain.sql import Statement, distinct, for_ids
from domain.tiers.models import Tier as TierModel
from domain.tiers.services import tier_held
from domain.versions import Versions

_PUBLIC_ROWS = "SELECT id, display_name, tier_code, tier_level FROM member WHERE erased_at IS NULL AND id IN ({ids})"


@strawberry.type(
    description="What other members may see of a member: on leaderboards and referrals."
)
class PublicMember:
    id: strawberry.ID = strawberry.field(description="Fidelio's id of the member.")
    display_name: str = strawberry.field(description="The name the member shows to others.")
    tier: Tier = strawberry.field(
        description="The tier the member holds (the ladder is read once a request)."
    )


@dataclass(frozen=True, slots=True)
class PublicRow:
    """The columns of a member that the public view shows or needs."""

    id: int
    display_name: str
    tier_code: str | None
    tier_level: int


async def public_rows(member_ids: Sequence[int]) -> list[PublicRow | None]:
    """The members of `member_ids`, in order, in one statement; None for unknown or erased
    members."""
    if not member_ids:
        return []
    ids = distinct(member_ids)
    rows = await for_ids(_PUBLIC_ROWS, len(ids)).rows(*ids)
    found = {int(r["id"]): _row(r) for r in rows}
    return [found.get(member_id) for member_id in member_ids]


_OWN_ROW = Statement(
    "SELECT id, display_name, tier_code, tier_level FROM member "
    "WHERE customer_id = $1 AND erased_at IS NULL"
)


async def own_public_row(info: Info) -> PublicRow | None:
    """The signed-in member's public row (member tokens; None for other callers and for a
    member not created yet), read once a request in one statement: what reads of the
    caller's place on a board need, without loading (or creating) the whole member."""
    context = info.context
    if context.principal is None or context.principal.role != Role.MEMBER:
        return None

    subject = context.principal.subject

    async def read() -> PublicRow | None:
        rows = await _OWN_ROW.rows(subject)
        return _row(rows[0]) if rows else None

    return await context.once("own_public_row", read)


def _row(r: dict[str, Any]) -> PublicRow:
    return PublicRow(int(r["id"]), r["display_name"], r["tier_code"], int(r["tier_level"]))


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
