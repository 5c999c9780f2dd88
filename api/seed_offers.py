"""The demo's personal offers: a few members redeem rewards, then the recommender trains.

With a dozen members the demo is a tiny program: the training stores popularity per tier and
region only (basis POPULAR), which is what the app shows a program too small for a model.
"""

from __future__ import annotations

from api.runtime import Runtime
from domain.errors import DomainError
from domain.members.models import Member
from domain.offers.services import train_and_store
from domain.rewards.models import Reward
from domain.rewards.redemption import redeem_reward

#: (member, reward code): what the demo members redeemed, when their points allow it.
DEMO_REDEMPTIONS = [
    ("bruno", "FREE-SHIPPING"),
    ("carmen", "FREE-SHIPPING"),
    ("diego", "TEN-OFF"),
    ("elena", "FREE-SHIPPING"),
    ("frank", "FIVE-EUROS"),
    ("grace", "FIVE-EUROS"),
    ("hugo", "TEN-OFF"),
    ("irene", "FREE-SHIPPING"),
    ("jack", "FIVE-EUROS"),
    ("kate", "TEN-OFF"),
]


async def seed_offers(runtime: Runtime) -> str:
    now = runtime.clock.now()
    redeemed = 0
    for customer_id, code in DEMO_REDEMPTIONS:
        member = await Member.get_or_none(customer_id=customer_id)
        reward = await Reward.get_or_none(code=code)
        if member is None or reward is None:
            continue
        try:
            await redeem_reward(member, reward.id, f"demo-{code}", now, runtime.observer)
            redeemed += 1
        except DomainError:
            continue  # not enough points yet: the demo goes on without it
    run = await train_and_store(now, runtime.offers)
    return f"{redeemed} demo redemptions, offers version {run.version} ({run.basis.value})"
