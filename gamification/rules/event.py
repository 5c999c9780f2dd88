"""What a member did, as the rules engine sees it, and whether a rule looks at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from gamification.rules.kinds import EventKind
from gamification.rules.rule import Rule


@dataclass(frozen=True)
class MemberEvent:
    """One event of one member: a purchase, a referral, a store visit...

    `reference` identifies the event among the member's events of that kind (order id,
    referral id, ...): applying an event twice with the same reference counts it once.
    `occurred_at` must be timezone-aware; it is kept in UTC.
    """

    kind: EventKind
    occurred_at: datetime
    reference: str
    amount: Decimal | None = None
    points: int = 0
    categories: frozenset[str] = field(default_factory=frozenset)
    channel: str | None = None
    store_code: str | None = None

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("MemberEvent.occurred_at must be timezone-aware")
        # Frozen: normalise through object.__setattr__ so equal events compare equal.
        object.__setattr__(self, "kind", EventKind(self.kind))
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))
        object.__setattr__(self, "categories", frozenset(self.categories))


def matches(rule: Rule, event: MemberEvent) -> bool:
    """Whether `event` is of the rule's kind and passes every filter the rule sets.

    Filters: `category` among the event's categories, same `channel`, same `store_code`, and
    `amount >= min_amount` (an event without an amount fails a minimum). Values compare exactly.
    """
    if event.kind != rule.event:
        return False
    if rule.category is not None and rule.category not in event.categories:
        return False
    if rule.channel is not None and event.channel != rule.channel:
        return False
    if rule.store_code is not None and event.store_code != rule.store_code:
        return False
    if rule.min_amount is not None and (event.amount is None or event.amount < rule.min_amount):
        return False
    return True
