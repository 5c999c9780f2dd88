"""A rule: a condition over a member's events, the goal of a badge or a challenge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from gamification.rules.kinds import Aggregate, Channel, EventKind


@dataclass(frozen=True)
class Rule:
    """The matching events of one kind, folded by `aggregate`, must reach `target`.

    Mirrors the contract's `RuleInput`. Filters (`category`, `channel`, `store_code`,
    `min_amount`) narrow which events match; `validate_rule` says which combinations make sense.

    `window_days` = N: only events of the member's last N local calendar days count, today
    included (N = 1 is "today", N = 7 is today and the six days before it). Calendar days rather
    than a sliding N x 24 h, so that the window means the same for every aggregate (a 7-day
    window never holds 8 distinct days) and a DST change neither adds nor removes an hour.
    Without a window: all time for a badge, the challenge's current period for a challenge.

    Streaks count consecutive local calendar days (STREAK_DAYS) or ISO weeks, Monday first
    (STREAK_WEEKS), each with at least one matching event, ending today (this week) or yesterday
    (last week): the current period not yet done keeps a streak alive, a missed one breaks it.
    """

    event: EventKind
    aggregate: Aggregate
    target: float
    window_days: int | None = None
    category: str | None = None
    channel: Channel | None = None
    store_code: str | None = None
    min_amount: Decimal | None = None

    def __post_init__(self) -> None:
        # Accept the contract's names as plain strings too (JSON, tests); refuse unknown ones.
        object.__setattr__(self, "event", EventKind(self.event))
        object.__setattr__(self, "aggregate", Aggregate(self.aggregate))
        object.__setattr__(self, "target", float(self.target))
        if self.channel is not None:
            object.__setattr__(self, "channel", Channel(self.channel))

    def to_json(self) -> dict[str, Any]:
        """The rule as a JSON-ready dict (enums by name, `min_amount` as a decimal string)."""
        return {
            "event": self.event.value,
            "aggregate": self.aggregate.value,
            "target": self.target,
            "window_days": self.window_days,
            "category": self.category,
            "channel": self.channel.value if self.channel is not None else None,
            "store_code": self.store_code,
            "min_amount": str(self.min_amount) if self.min_amount is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        """The rule stored by `to_json`; optional keys may be missing. Raises ValueError/KeyError
        on a malformed document (stored data, not user input)."""
        channel = data.get("channel")
        min_amount = data.get("min_amount")
        window_days = data.get("window_days")
        return cls(
            event=EventKind(data["event"]),
            aggregate=Aggregate(data["aggregate"]),
            target=float(data["target"]),
            window_days=int(window_days) if window_days is not None else None,
            category=data.get("category"),
            channel=Channel(channel) if channel is not None else None,
            store_code=data.get("store_code"),
            min_amount=Decimal(str(min_amount)) if min_amount is not None else None,
        )


def stored_rule(data: Mapping[str, Any]) -> Rule:
    """`Rule.from_json`, parsed once per distinct document and shared (rules are frozen): the
    catalogues' rows are read per process, but their rules are shown on every request."""
    try:
        return _parsed(tuple(sorted(data.items())))
    except TypeError:  # an unhashable value: not a document `to_json` wrote; parse it as is
        return Rule.from_json(data)


@lru_cache(maxsize=4096)
def _parsed(items: tuple[tuple[str, Any], ...]) -> Rule:
    return Rule.from_json(dict(items))
