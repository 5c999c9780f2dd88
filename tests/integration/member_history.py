"""Building a member's history row by row, for tests of segments, figures and data rights.

The rows are what the purchases, engagement and gamification areas store; writing them
directly keeps these tests independent of those areas' use cases.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.achievements.models import Badge, MemberBadge
from domain.members.models import Member
from domain.members.services import new_referral_code
from domain.purchases.models import Channel, Purchase, Refund
from domain.referrals.models import Engagement, EngagementKind

_sequence = itertools.count(1)


async def member(
    joined_at: datetime,
    *,
    customer_id: str | None = None,
    birth_date: date | None = None,
    **profile: Any,
) -> Member:
    n = next(_sequence)
    return await Member.create(
        customer_id=customer_id or f"cust-{n}",
        display_name=profile.pop("display_name", f"Member {n}"),
        referral_code=new_referral_code(),
        joined_at=joined_at,
        birth_date=birth_date,
        **profile,
    )


async def purchase(
    owner: Member,
    amount: str | Decimal,
    at: datetime,
    *,
    channel: Channel = Channel.APP,
    refunded: str | Decimal = "0",
    points: int = 0,
) -> Purchase:
    n = next(_sequence)
    return await Purchase.create(
        order_id=f"order-{n}",
        member_id=owner.id,
        amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
        currency="EUR",
        channel=channel,
        occurred_at=at,
        recorded_at=at,
        points_earned=points,
    )


async def refund(bought: Purchase, amount: str | Decimal, at: datetime) -> Refund:
    """A refund row, with the purchase's refunded amount raised to match."""
    n = next(_sequence)
    bought.refunded_amount = Decimal(bought.refunded_amount) + Decimal(amount)
    await bought.save(update_fields=["refunded_amount"])
    return await Refund.create(
        refund_id=f"refund-{n}", purchase_id=bought.id, amount=Decimal(amount), created_at=at
    )


async def engagement(
    owner: Member,
    at: datetime,
    *,
    kind: EngagementKind = EngagementKind.SHARE,
    score: int | None = None,
) -> Engagement:
    n = next(_sequence)
    return await Engagement.create(
        member_id=owner.id,
        kind=kind,
        reference=f"ref-{n}",
        score=score,
        occurred_at=at,
        local_date=at.date(),
    )


async def badge(code: str, at: datetime) -> Badge:
    return await Badge.create(
        code=code,
        name=code.title(),
        description=f"The {code} badge",
        rule={},
        created_at=at,
        updated_at=at,
    )


async def award(owner: Member, held: Badge, at: datetime) -> MemberBadge:
    return await MemberBadge.create(member_id=owner.id, badge_id=held.id, earned_at=at)
