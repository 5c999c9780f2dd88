"""What push needs from other areas, as small protocols the app factory fills in.

Segments (who belongs to a segment) and coupons (handing out a reward as a coupon) are built
by their own areas in `domain/`: `DomainSegments` and `DomainCoupons` adapt them. Push's
services depend only on the protocols, so tests can pass simple stand-ins; the null
implementations say plainly that a capability is not wired (naming a segment or a reward
then gets NOT_FOUND).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.errors import NotFound
from domain.rewards.models import Reward
from domain.rewards.redemption import grant_reward
from domain.segments.models import Segment
from domain.segments.services import member_in_segment, segment_members


class SegmentDirectory(Protocol):
    async def exists(self, code: str) -> bool:
        """Whether a segment with this code is defined."""
        ...

    async def contains(self, code: str, member_id: int, now: datetime) -> bool:
        """Whether the member belongs to the segment now."""
        ...

    async def members_after(
        self, code: str, after_member_id: int, limit: int, now: datetime
    ) -> list[int]:
        """Up to `limit` ids of the segment's members greater than `after_member_id`, in
        ascending order: a cursor that survives restarts."""
        ...


class CouponIssuer(Protocol):
    async def reward_exists(self, reward_code: str) -> bool:
        """Whether a reward with this code exists and can be handed out as a coupon."""
        ...

    async def issue(self, member_id: int, reward_code: str, reference: str, now: datetime) -> str:
        """Hand the member a coupon for the reward without charging points, inside the
        caller's transaction, once per `reference`; returns the coupon code. Raises a
        DomainError (OutOfStock, NotFound...) when it cannot."""
        ...


class NoSegments:
    """No segment directory wired: no segment exists."""

    async def exists(self, code: str) -> bool:
        return False

    async def contains(self, code: str, member_id: int, now: datetime) -> bool:
        raise NotFound(f"no segment '{code}'")

    async def members_after(
        self, code: str, after_member_id: int, limit: int, now: datetime
    ) -> list[int]:
        raise NotFound(f"no segment '{code}'")


class NoCoupons:
    """No coupon issuer wired: promotions can only give points."""

    async def reward_exists(self, reward_code: str) -> bool:
        return False

    async def issue(self, member_id: int, reward_code: str, reference: str, now: datetime) -> str:
        raise NotFound(f"no reward '{reward_code}'")


class DomainSegments:
    """The segments area's rules (domain.segments): membership computed as of `now`."""

    async def exists(self, code: str) -> bool:
        return await Segment.exists(code=code)

    async def contains(self, code: str, member_id: int, now: datetime) -> bool:
        return await member_in_segment(code, member_id, now)

    async def members_after(
        self, code: str, after_member_id: int, limit: int, now: datetime
    ) -> list[int]:
        members = await segment_members(code, now)
        ids = (
            await members.filter(id__gt=after_member_id)
            .order_by("id")
            .limit(limit)
            .values_list("id", flat=True)
        )
        return [int(i) for i in ids]


class DomainCoupons:
    """The rewards area's gift coupons (domain.rewards.grant_reward): no points spent, the
    reward's stock applies, once per reference."""

    async def reward_exists(self, reward_code: str) -> bool:
        return await Reward.exists(code=reward_code, active=True)

    async def issue(self, member_id: int, reward_code: str, reference: str, now: datetime) -> str:
        redemption = await grant_reward(member_id, reward_code, reference, now)
        return redemption.code
