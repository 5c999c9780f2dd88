"""What push needs from other areas, as small protocols the app factory fills in.

Segments (who belongs to a segment) and coupons (handing out a reward as a coupon) are built
by their own areas in `domain/`. Push depends only on these protocols, so it can be tested
and wired whichever way those areas grow; the null implementations here say plainly that the
capability is not wired (an admin who names a segment or a reward then gets NOT_FOUND).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.errors import NotFound


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
