"""What the console shows on a member's page beside points and coupons: the challenges the
member completed and their drop claims (admin only; one statement each)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.common import page_size
from domain.achievements.models import ChallengeCompletion
from domain.drops.models import DropClaim
from domain.errors import DomainError


@strawberry.type(description="A challenge the member completed, in one of its periods.")
class MemberChallengeCompletion:
    challenge_code: str = strawberry.field(description="The challenge's code.")
    challenge_title: str = strawberry.field(description="Its title (the base text).")
    period_key: str = strawberry.field(description="The period completed, e.g. '2026-W14'.")
    completed_at: datetime = strawberry.field(description="When.")
    points: int = strawberry.field(description="The points it gave.")


@strawberry.type(description="A member's claim of a drop (or raffle entry).")
class MemberDropClaim:
    drop_code: str = strawberry.field(description="The drop's code.")
    drop_title: str = strawberry.field(description="Its title (the base text).")
    status: str = strawberry.field(
        description="RESERVED (first come), ENTERED, WON or LOST (raffle), or CANCELLED; "
        "a bought claim has `completedAt`."
    )
    coupon_code: str | None = strawberry.field(description="The reservation's code (DR-...).")
    points_spent: int = strawberry.field(description="Points the claim took.")
    created_at: datetime = strawberry.field(description="When the member claimed.")
    completed_at: datetime | None = strawberry.field(description="When it was bought.")


def _size(first: int) -> int:
    try:
        return page_size(first, ["first"])
    except DomainError as error:
        raise to_client_error(error) from error


async def member_challenge_completions(
    info: Info, member_id: int, first: int
) -> list[MemberChallengeCompletion]:
    info.context.require(Role.ADMIN)
    rows = (
        await ChallengeCompletion.filter(member_id=member_id)
        .order_by("-completed_at", "-id")
        .limit(_size(first))
        .values("challenge__code", "challenge__title", "period_key", "completed_at", "points")
    )
    return [
        MemberChallengeCompletion(
            challenge_code=r["challenge__code"],
            challenge_title=r["challenge__title"],
            period_key=r["period_key"],
            completed_at=r["completed_at"],
            points=r["points"],
        )
        for r in rows
    ]


async def member_drop_claims(info: Info, member_id: int, first: int) -> list[MemberDropClaim]:
    info.context.require(Role.ADMIN)
    rows = (
        await DropClaim.filter(member_id=member_id)
        .order_by("-id")
        .limit(_size(first))
        .values(
            "drop__code",
            "drop__title",
            "status",
            "coupon_code",
            "points_spent",
            "created_at",
            "completed_at",
        )
    )
    return [
        MemberDropClaim(
            drop_code=r["drop__code"],
            drop_title=r["drop__title"],
            status=str(getattr(r["status"], "value", r["status"])),
            coupon_code=r["coupon_code"],
            points_spent=r["points_spent"],
            created_at=r["created_at"],
            completed_at=r["completed_at"],
        )
        for r in rows
    ]
