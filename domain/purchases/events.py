"""Events of the purchases area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.events import DomainEvent


@dataclass(frozen=True)
class PurchaseRecorded(DomainEvent):
    member_id: int
    purchase_id: int
    order_id: str
    amount: Decimal
    currency: str
    channel: str
    store_code: str | None
    categories: tuple[str, ...]
    occurred_at: datetime
    points_earned: int
    #: The member's first recorded purchase (referrals complete on it).
    first_purchase: bool


@dataclass(frozen=True)
class PurchaseRefunded(DomainEvent):
    member_id: int
    purchase_id: int
    order_id: str
    refund_id: str
    amount: Decimal
    points_reversed: int
    fully_refunded: bool
