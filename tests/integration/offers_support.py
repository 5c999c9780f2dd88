"""A small program with planted tastes for the offers tests, written in bulk.

Members each prefer one category: they buy in it and redeem its rewards (and now and then
something else), so the right recommendations are known.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from domain.members.models import Member
from domain.purchases.models import Channel, Purchase
from domain.rewards.catalogue import RewardSpec, upsert_reward
from domain.rewards.models import CouponStatus, Redemption, Reward, RewardKind

#: {category: the codes of its rewards}
TASTES: dict[str, tuple[str, ...]] = {
    "running-shoes": ("RUN-SOCKS", "RUN-CAP"),
    "yoga": ("YOGA-MAT", "YOGA-BAG"),
    "coffee": ("COFFEE-MUG", "COFFEE-BEANS"),
    "books": ("BOOK-LIGHT", "BOOK-MARK"),
}
_counter = iter(range(1, 10**9))


async def catalogue(now: datetime) -> dict[str, Reward]:
    """Every reward of TASTES, 100 points each, unlimited."""
    rewards = {}
    for codes in TASTES.values():
        for code in codes:
            rewards[code], _ = await upsert_reward(
                RewardSpec(
                    code=code,
                    name=code.replace("-", " ").title(),
                    description="",
                    kind=RewardKind.PRODUCT,
                    cost_points=100,
                ),
                now,
            )
    return rewards


async def new_member(customer_id: str, now: datetime, **profile: object) -> Member:
    number = next(_counter)
    return await Member.create(
        customer_id=customer_id,
        display_name=customer_id.title(),
        referral_code=f"OFF{number:08d}",
        joined_at=now - timedelta(days=400),
        **profile,
    )


async def buy(member: Member, category: str, at: datetime, times: int = 1) -> None:
    await Purchase.bulk_create(
        [
            Purchase(
                order_id=f"O-{next(_counter)}",
                member_id=member.id,
                amount=Decimal("30.00"),
                currency="EUR",
                channel=Channel.APP,
                occurred_at=at - timedelta(days=n),
                recorded_at=at - timedelta(days=n),
                categories=[category],
                items=[],
            )
            for n in range(times)
        ]
    )


async def redeem(member: Member, reward: Reward, at: datetime) -> None:
    await Redemption.create(
        code=f"T-{next(_counter)}",
        member_id=member.id,
        reward_id=reward.id,
        points_spent=reward.cost_points,
        status=CouponStatus.USED,
        created_at=at,
    )


async def planted(now: datetime, per_taste: int = 15, seed: int = 5) -> dict[str, Reward]:
    """`per_taste` members for each category of TASTES, with a history of a year."""
    draw = random.Random(seed)
    rewards = await catalogue(now)
    categories = list(TASTES)
    members: list[tuple[Member, str]] = []
    for category in categories:
        for n in range(per_taste):
            member = await new_member(
                f"{category}-{n}", now, country=draw.choice(["ES", "GB"]), tier_level=0
            )
            members.append((member, category))
    purchases, redemptions = [], []
    for member, category in members:
        for _ in range(draw.randint(3, 6)):
            bought = category if draw.random() < 0.85 else draw.choice(categories)
            at = now - timedelta(days=draw.randint(1, 300))
            purchases.append(
                Purchase(
                    order_id=f"O-{next(_counter)}",
                    member_id=member.id,
                    amount=Decimal("30.00"),
                    currency="EUR",
                    channel=Channel.APP,
                    occurred_at=at,
                    recorded_at=at,
                    categories=[bought],
                    items=[],
                )
            )
        for _ in range(draw.randint(2, 4)):
            codes = TASTES[category] if draw.random() < 0.85 else TASTES[draw.choice(categories)]
            reward = rewards[draw.choice(codes)]
            redemptions.append(
                Redemption(
                    code=f"T-{next(_counter)}",
                    member_id=member.id,
                    reward_id=reward.id,
                    points_spent=100,
                    status=CouponStatus.USED,
                    created_at=now - timedelta(days=draw.randint(1, 300)),
                )
            )
    await Purchase.bulk_create(purchases, batch_size=500)
    await Redemption.bulk_create(redemptions, batch_size=500)
    return rewards
