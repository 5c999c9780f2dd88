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
