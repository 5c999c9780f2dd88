"""Builders for the achievement tests: admins' badges and challenges, members' activities."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from tortoise.transactions import in_transaction

from domain.achievements.models import Badge, Challenge
from domain.activity import Activity, Awards
from domain.members.models import Member
from domain.members.services import get_or_create_member
from gamification.achievements.engine import AchievementEngine
from gamification.achievements.services import (
    BadgeDraft,
    ChallengeDraft,
    upsert_badge,
    upsert_challenge,
)
from gamification.rules import Recurrence, Rule

_orders = count(1)

SHOES_3_IN_30 = Rule(
    event="PURCHASE", aggregate="COUNT", target=3, window_days=30, category="shoes"
)


async def member(customer_id: str, now: datetime, time_zone: str = "UTC", **profile: str) -> Member:
    created = await get_or_create_member(customer_id, now, time_zone=time_zone)
    if profile:
        await Member.filter(id=created.id).update(**profile)
        await created.refresh_from_db()
    return created


async def badge(
    code: str, rule: Rule, now: datetime, *, reward_points: int = 0, secret: bool = False
) -> Badge:
    return await upsert_badge(
        BadgeDraft(
            code=code,
            name=f"Badge {code}",
            description=f"About {code}",
            rule=rule,
            reward_points=reward_points,
            secret=secret,
        ),
        now,
    )


async def challenge(
    code: str,
    goal: Rule,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    *,
    recurrence: Recurrence = Recurrence.NONE,
    reward_points: int = 0,
    reward_badge_code: str | None = None,
    segment_code: str | None = None,
) -> Challenge:
    return await upsert_challenge(
        ChallengeDraft(
            code=code,
            title=f"Challenge {code}",
            description=f"About {code}",
            starts_at=starts_at,
            ends_at=ends_at,
            goal=goal,
            recurrence=recurrence,
            reward_points=reward_points,
            reward_badge_code=reward_badge_code,
            segment_code=segment_code,
        ),
        now,
    )


def purchase(
    member_id: int,
    occurred_at: datetime,
    *,
    order_id: str | None = None,
    amount: str = "40.00",
    categories: Iterable[str] = ("shoes",),
    channel: str = "APP",
    points: int = 40,
) -> Activity:
    return Activity(
        member_id=member_id,
        kind="PURCHASE",
        occurred_at=occurred_at,
        reference=f"order:{order_id or f'O-{next(_orders)}'}",
        amount=Decimal(amount),
        points=points,
        categories=frozenset(categories),
        channel=channel,
    )


def share(member_id: int, occurred_at: datetime, reference: str | None = None) -> Activity:
    return Activity(
        member_id=member_id,
        kind="SHARE",
        occurred_at=occurred_at,
        reference=f"share:{reference or next(_orders)}",
        points=10,
    )


async def observe(engine: AchievementEngine, activity: Activity, now: datetime) -> Awards:
    """Deliver `activity` as a domain use case does: inside its own transaction."""
    async with in_transaction():
        return await engine.observe(activity, now)


def days(n: float) -> timedelta:
    return timedelta(days=n)
