"""Which rules make sense, written as data, and the check an admin's rule goes through.

The tables below are the whole policy; `validate_rule` only reads them.

| aggregate                                  | event kinds                                  |
| ------------------------------------------ | -------------------------------------------- |
| COUNT, DISTINCT_DAYS, STREAK_DAYS/WEEKS    | every kind                                   |
| SUM_AMOUNT, DISTINCT_CATEGORIES            | PURCHASE (the only event with an amount and  |
|                                            | categories)                                  |
| SUM_POINTS                                 | PURCHASE, REFERRAL, SHARE, REVIEW, SURVEY    |
|                                            | (the events that earn points)                |

| filter                          | event kinds                                               |
| ------------------------------- | --------------------------------------------------------- |
| category, channel, minAmount    | PURCHASE                                                  |
| storeCode                       | PURCHASE, STORE_VISIT                                     |

Besides: `target` > 0, and whole except for SUM_AMOUNT (counts, days, weeks and points come in
units); `windowDays` between 1 and 366, and not on streaks (a streak is already bounded by its
consecutive days: a window would only cap it); DISTINCT_DAYS no more days than the window
holds; COUNT within a window no more than the events kept per window; DISTINCT_CATEGORIES
without a category filter (it would fix the very category being counted).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from domain.errors import InputErrors, InvalidInput
from domain.money import MAX_AMOUNT
from gamification.rules.kinds import Aggregate, EventKind
from gamification.rules.rule import Rule
from gamification.rules.state import MAX_WINDOW_CONTRIBUTIONS

EVERY_EVENT: frozenset[EventKind] = frozenset(EventKind)
POINT_EARNING_EVENTS: frozenset[EventKind] = frozenset(
    {
        EventKind.PURCHASE,
        EventKind.REFERRAL,
        EventKind.SHARE,
        EventKind.REVIEW,
        EventKind.SURVEY,
    }
)
PURCHASE_ONLY: frozenset[EventKind] = frozenset({EventKind.PURCHASE})

AGGREGATE_EVENTS: Mapping[Aggregate, frozenset[EventKind]] = MappingProxyType(
    {
        Aggregate.COUNT: EVERY_EVENT,
        Aggregate.SUM_AMOUNT: PURCHASE_ONLY,
        Aggregate.SUM_POINTS: POINT_EARNING_EVENTS,
        Aggregate.DISTINCT_DAYS: EVERY_EVENT,
        Aggregate.DISTINCT_CATEGORIES: PURCHASE_ONLY,
        Aggregate.STREAK_DAYS: EVERY_EVENT,
        Aggregate.STREAK_WEEKS: EVERY_EVENT,
    }
)
"""The event kinds each aggregate can be computed over."""

FILTER_EVENTS: Mapping[str, frozenset[EventKind]] = MappingProxyType(
    {
        "category": PURCHASE_ONLY,
        "channel": PURCHASE_ONLY,
        "store_code": frozenset({EventKind.PURCHASE, EventKind.STORE_VISIT}),
        "min_amount": PURCHASE_ONLY,
    }
)
"""The event kinds that carry what each filter (a `Rule` attribute) looks at."""

FRACTIONAL_TARGET_AGGREGATES: frozenset[Aggregate] = frozenset({Aggregate.SUM_AMOUNT})
"""Aggregates whose target may have decimals; every other one counts whole units."""

UNWINDOWED_AGGREGATES: frozenset[Aggregate] = frozenset(
    {Aggregate.STREAK_DAYS, Aggregate.STREAK_WEEKS}
)
"""Aggregates that refuse `window_days`."""

MAX_WINDOW_DAYS = 366

INPUT_FIELD_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "event": "event",
        "aggregate": "aggregate",
        "target": "target",
        "window_days": "windowDays",
        "category": "category",
        "channel": "channel",
        "store_code": "storeCode",
        "min_amount": "minAmount",
    }
)
"""`Rule` attribute -> `RuleInput` field, for the error paths."""


def validate_rule(rule: Rule, field_prefix: list[str]) -> None:
    """Refuse a rule that cannot be computed or never means what it says.

    Every problem is reported at once, each as `InvalidInput` whose field path is
    `[*field_prefix, <RuleInput field>]` (e.g. `["input", "rule", "aggregate"]`).

    Raises:
        ValidationErrors: of `InvalidInput`, when at least one problem is found.
    """
    problems = InputErrors()

    def refuse(attribute: str, message: str) -> None:
        problems.add(InvalidInput(message, field=[*field_prefix, INPUT_FIELD_NAMES[attribute]]))

    if rule.event not in AGGREGATE_EVENTS[rule.aggregate]:
        allowed = ", ".join(sorted(AGGREGATE_EVENTS[rule.aggregate]))
        refuse(
            "aggregate",
            f"{rule.aggregate} cannot be computed over {rule.event} events (only {allowed}).",
        )

    target = rule.target
    if not math.isfinite(target) or target <= 0:
        refuse("target", "The target must be a number greater than 0.")
    elif rule.aggregate not in FRACTIONAL_TARGET_AGGREGATES and not float(target).is_integer():
        refuse("target", f"The target of {rule.aggregate} must be a whole number.")
    elif rule.aggregate is Aggregate.DISTINCT_DAYS and rule.window_days is not None:
        if 1 <= rule.window_days < target:
            refuse(
                "target",
                f"{rule.window_days} days hold at most {rule.window_days} distinct days.",
            )
    elif rule.aggregate is Aggregate.COUNT and rule.window_days is not None:
        if target > MAX_WINDOW_CONTRIBUTIONS:
            refuse(
                "target",
                f"Within a window, COUNT goes up to {MAX_WINDOW_CONTRIBUTIONS} events.",
            )

    if rule.window_days is not None:
        if rule.aggregate in UNWINDOWED_AGGREGATES:
            refuse(
                "window_days",
                f"{rule.aggregate} takes no window: a streak is already a run of consecutive "
                "periods ending now.",
            )
        elif not 1 <= rule.window_days <= MAX_WINDOW_DAYS:
            refuse("window_days", f"The window must be from 1 to {MAX_WINDOW_DAYS} days.")

    for attribute, kinds in FILTER_EVENTS.items():
        value = getattr(rule, attribute)
        if value is None:
            continue
        if rule.event not in kinds:
            refuse(
                attribute,
                f"{INPUT_FIELD_NAMES[attribute]} does not apply to {rule.event} events "
                f"(only {', '.join(sorted(kinds))}).",
            )
        elif isinstance(value, str) and not value.strip():
            refuse(attribute, f"{INPUT_FIELD_NAMES[attribute]} cannot be blank.")

    if (
        rule.category is not None
        and rule.aggregate is Aggregate.DISTINCT_CATEGORIES
        and rule.event in FILTER_EVENTS["category"]
    ):
        refuse("category", "DISTINCT_CATEGORIES counts categories: it takes no category filter.")

    minimum = rule.min_amount
    if minimum is not None and not (minimum.is_finite() and 0 <= minimum <= MAX_AMOUNT):
        refuse("min_amount", f"The minimum amount is from 0 to {MAX_AMOUNT}.")

    problems.raise_any()
