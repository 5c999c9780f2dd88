"""Events of the rewards area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.events import DomainEvent


@dataclass(frozen=True)
class RewardRedeemed(DomainEvent):
    member_id: int
    redemption_id: int
    reward_id: int
    reward_code: str
    points: int
    expires_at: datetime | None


@dataclass(frozen=True)
class CouponUsed(DomainEvent):
    member_id: int
    redemption_id: int
    order_id: str


@dataclass(frozen=True)
class CouponExpired(DomainEvent):
    member_id: int
    redemption_id: int
    points_returned: int


@dataclass(frozen=True)
class RewardGranted(DomainEvent):
    """A coupon given without spending points (a promotion's gift), once per reference."""

    member_id: int
    redemption_id: int
    reward_id: int
    reward_code: str
    reference: str
    expires_at: datetime | None


@dataclass(frozen=True)
class CouponCancelled(DomainEvent):
    member_id: int
    redemption_id: int
    points_returned: int
    reason: str
