"""The pure core of the rules engine: rules, their validation, events, progress and periods.

No database, no I/O, no await: the engine loads a `ProgressState`, calls `apply_event` and
`current_value`, and stores the state back.
"""

from gamification.rules.describe import describe
from gamification.rules.event import MemberEvent, matches
from gamification.rules.kinds import Aggregate, Channel, EventKind, Recurrence
from gamification.rules.periods import Period, period_bounds, period_keys_in_any_zone
from gamification.rules.progress import apply_event, current_value
from gamification.rules.rule import Rule, stored_rule
from gamification.rules.state import Contribution, ProgressState
from gamification.rules.validation import (
    AGGREGATE_EVENTS,
    FILTER_EVENTS,
    validate_rule,
)

__all__ = [
    "AGGREGATE_EVENTS",
    "FILTER_EVENTS",
    "Aggregate",
    "Channel",
    "Contribution",
    "EventKind",
    "MemberEvent",
    "Period",
    "ProgressState",
    "Recurrence",
    "Rule",
    "apply_event",
    "current_value",
    "describe",
    "matches",
    "period_bounds",
    "period_keys_in_any_zone",
    "stored_rule",
    "validate_rule",
]
