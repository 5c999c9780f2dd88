"""Breakdowns beside the key figures: members per tier, the most redeemed rewards, and
members found by their customer id or name. Each is one aggregate or filtered query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from domain.kpis.services import check_period
from domain.members.models import Member
from domain.rewards.models import Redemption

#: The most members a search returns.
MAX_SEARCH = 50


@dataclass(frozen=True)
class TierCount:
    level: int
    members: int


async def tier_distribution() -> list[TierCount]:
    """Members holding each tier level now (erased members excluded), by level."""
    rows = (
        await Member.filter(erased_at__isnull=True)
        .annotate(members=Count("id"))
        .group_by("tier_level")
        .order_by("tier_level")
        .values("tier_level", "members")
    )
    return [TierCount(level=int(r["tier_level"]), members=int(r["members"])) for r in rows]


@dataclass(frozen=True)
class RewardRedemptions:
    reward_id: int
    code: str
    name: str
    redemptions: int
    points: int


async def most_redeemed_rewards(
    start: datetime, end: datetime, first: int
) -> list[RewardRedemptions]:
    """The rewards redeemed most in [start, end) (coupons issued then, used or not), most
    first, with the points spent on them. `InvalidInput` as `program_kpis` for the period."""
    start, end = check_period(start, end)
    rows = (
        await Redemption.filter(created_at__gte=start, created_at__lt=end)
        .annotate(redemptions=Count("id"), points=Sum("points_spent"))
        .group_by("reward_id", "reward__code", "reward__name")
        .order_by("-redemptions", "reward__code")
        .limit(first)
        .values("reward_id", "reward__code", "reward__name", "redemptions", "points")
    )
    return [
        RewardRedemptions(
            reward_id=int(r["reward_id"]),
            code=r["reward__code"],
            name=r["reward__name"],
            redemptions=int(r["redemptions"]),
            points=int(r["points"] or 0),
        )
        for r in rows
    ]


async def search_members(text: str, first: int) -> list[Member]:
    """Members whose customer id starts with `text` or whose name contains it (ignoring
    case), exact customer id first, then by name; erased members are never found."""
    needle = text.strip()
    if not needle or len(needle) > 128 or "\x00" in needle:
        return []  # no customer id or name is like that (and PostgreSQL refuses NUL)
    found = (
        await Member.filter(erased_at__isnull=True)
        .filter(Q(customer_id__istartswith=needle) | Q(display_name__icontains=needle))
        .order_by("display_name", "id")
        .limit(first)
    )
    return sorted(found, key=lambda m: m.customer_id != needle)
