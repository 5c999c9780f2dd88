"""Events of exclusive drops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.events import DomainEvent


@dataclass(frozen=True)
class DropOpened(DomainEvent):
    """The drop opened for members at or above `min_tier_level` (early access) or for all
    eligible members (`early_access` false). Push fans it out to the eligible members."""

    drop_id: int
    drop_code: str
    title: str
    opens_at: datetime
    early_access: bool
    min_tier_level: int


@dataclass(frozen=True)
class DropClaimed(DomainEvent):
    member_id: int
    drop_id: int
    claim_id: int
    status: str


@dataclass(frozen=True)
class RaffleDrawn(DomainEvent):
    drop_id: int
    drop_code: str
    seed: str
    winner_ids: tuple[int, ...]
    loser_ids: tuple[int, ...]


@dataclass(frozen=True)
class DropReservationReleased(DomainEvent):
    """A first-come reservation was not completed in time: its unit went back to stock and its
    points back to the member."""

    member_id: int
    drop_id: int
    claim_id: int
    points_returned: int


@dataclass(frozen=True)
class DropClaimCompleted(DomainEvent):
    """The shop completed the purchase of a reserved or won unit with its coupon."""

    member_id: int
    drop_id: int
    claim_id: int
    order_id: str
