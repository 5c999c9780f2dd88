"""Events of the points ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.events import DomainEvent


@dataclass(frozen=True)
class PointsEarned(DomainEvent):
    member_id: int
    entry_id: int
    points: int
    #: EntryKind name: EARN, BONUS, REFERRAL, ENGAGEMENT, ADJUST. (Not `kind`: that is the
    #: event's own name, DomainEvent.kind.)
    entry_kind: str
    reference: str | None
    available_at: datetime
    #: When the entry was written (the period it counts in on boards), so that a handler
    #: needs no read of it; None in events raised before this field existed.
    created_at: datetime | None = None


@dataclass(frozen=True)
class PointsReversed(DomainEvent):
    member_id: int
    entry_id: int
    points: int
    shortfall: int
    reference: str | None


@dataclass(frozen=True)
class PointsExpired(DomainEvent):
    member_id: int
    entry_id: int
    points: int


@dataclass(frozen=True)
class PointsExpiringSoon(DomainEvent):
    """Sent once per expiry batch (member, expires_at) some days before it expires."""

    member_id: int
    points: int
    expires_at: datetime


@dataclass(frozen=True)
class PointsAdjusted(DomainEvent):
    member_id: int
    entry_id: int
    delta: int
    reason: str
    actor: str
