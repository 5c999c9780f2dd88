"""Incremental progress: fold one event into a member's state, read the value as of now.

Both functions are pure. `tz` is the member's time zone: it decides which local day and ISO
week an event falls in (an event at 23:30 in Madrid is on a different day than in UTC).
Events are assumed not to lie in the future of the `now` they are read at; windowed
aggregates ignore those that do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from gamification.rules.event import MemberEvent, matches
from gamification.rules.kinds import Aggregate
from gamification.rules.local_time import (
    day_number,
    local_date,
    start_of_local_day,
    week_number,
)
from gamification.rules.rule import Rule
from gamification.rules.runs import add_unit, current_run_length, units_recorded
from gamification.rules.state import (
    LATE_EVENT_DAYS,
    MAX_WINDOW_CONTRIBUTIONS,
    RECENT_REFERENCES_KEPT,
    Contribution,
    ProgressState,
)

STREAKS = frozenset({Aggregate.STREAK_DAYS, Aggregate.STREAK_WEEKS})
TALLIES = frozenset({Aggregate.COUNT, Aggregate.SUM_AMOUNT, Aggregate.SUM_POINTS})


def apply_event(
    rule: Rule, state: ProgressState, event: MemberEvent, tz: ZoneInfo
) -> ProgressState:
    """The state after `event`: unchanged when the event does not match the rule or was
    already applied (same `reference`), so applying an event twice counts it once.

    Windowed aggregates keep the matching events of the window (pruned here); the others keep
    a running total, a set of categories or runs of days/weeks (see `state` for the bounds).
    Streaks ignore `window_days`, which `validate_rule` refuses for them.
    """
    if not matches(rule, event):
        return state
    if _is_windowed(rule):
        return _apply_in_window(rule, state, event)
    if rule.aggregate in TALLIES:
        if event.reference in state.recent_references:
            return state
        references = (*state.recent_references, event.reference)[-RECENT_REFERENCES_KEPT:]
        return replace(
            state,
            total=state.total + _value(rule, event),
            recent_references=references,
        )
    if rule.aggregate is Aggregate.DISTINCT_CATEGORIES:
        if event.categories <= state.categories:
            return state
        return replace(state, categories=state.categories | event.categories)
    day = local_date(event.occurred_at, tz)
    if rule.aggregate is Aggregate.STREAK_WEEKS:
        unit, horizon = week_number(day), LATE_EVENT_DAYS // 7
    else:
        unit, horizon = day_number(day), LATE_EVENT_DAYS
    runs, earlier = add_unit(state.runs, state.earlier_days, unit, horizon)
    if runs == state.runs:
        return state
    return replace(state, runs=runs, earlier_days=earlier)


def current_value(rule: Rule, state: ProgressState, now: datetime, tz: ZoneInfo) -> float:
    """The rule's value as of `now`, to compare with its target.

    COUNT, SUM_AMOUNT, SUM_POINTS: the number, amount or points of the matching events;
    DISTINCT_DAYS: their distinct local dates; DISTINCT_CATEGORIES: the distinct categories of
    the matching purchases. With `window_days` = N only events of the last N local calendar
    days count, today included. STREAK_DAYS / STREAK_WEEKS: the consecutive local days / ISO
    weeks with a matching event, ending today / this week or the one before (0 when broken).

    Raises:
        ValueError: when `now` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("current_value needs an aware `now`")
    if _is_windowed(rule):
        return _value_in_window(rule, state, now, tz)
    today = local_date(now, tz)
    match rule.aggregate:
        case Aggregate.STREAK_DAYS:
            return float(current_run_length(state.runs, day_number(today)))
        case Aggregate.STREAK_WEEKS:
            return float(current_run_length(state.runs, week_number(today)))
        case Aggregate.DISTINCT_DAYS:
            return float(units_recorded(state.runs, state.earlier_days))
        case Aggregate.DISTINCT_CATEGORIES:
            return float(len(state.categories))
        case _:
            return float(state.total)


def _is_windowed(rule: Rule) -> bool:
    return rule.window_days is not None and rule.aggregate not in STREAKS


def _value(rule: Rule, event: MemberEvent) -> Decimal:
    match rule.aggregate:
        case Aggregate.COUNT:
            return Decimal(1)
        case Aggregate.SUM_AMOUNT:
            return event.amount if event.amount is not None else Decimal(0)
        case Aggregate.SUM_POINTS:
            return Decimal(event.points)
        case _:
            return Decimal(0)


def _apply_in_window(rule: Rule, state: ProgressState, event: MemberEvent) -> ProgressState:
    assert rule.window_days is not None
    if any(c.reference == event.reference for c in state.contributions):
        return state
    contribution = Contribution(
        reference=event.reference,
        occurred_at=event.occurred_at,
        value=_value(rule, event),
        categories=(
            event.categories if rule.aggregate is Aggregate.DISTINCT_CATEGORIES else frozenset()
        ),
    )
    ordered = sorted(
        (*state.contributions, contribution), key=lambda c: (c.occurred_at, c.reference)
    )
    # No later `now` has a window reaching further back than N x 24 h plus a DST hour before
    # the newest event, in any time zone: one day of margin is safe, and the rule stays
    # idempotent because a pruned event, applied again, is pruned again.
    keep_from = ordered[-1].occurred_at - timedelta(days=rule.window_days + 1)
    kept = [c for c in ordered if c.occurred_at >= keep_from][-MAX_WINDOW_CONTRIBUTIONS:]
    return replace(state, contributions=tuple(kept))


def _value_in_window(rule: Rule, state: ProgressState, now: datetime, tz: ZoneInfo) -> float:
    assert rule.window_days is not None
    first_day = local_date(now, tz) - timedelta(days=rule.window_days - 1)
    start = start_of_local_day(first_day, tz)
    inside = [c for c in state.contributions if start <= c.occurred_at <= now]
    match rule.aggregate:
        case Aggregate.DISTINCT_DAYS:
            return float(len({local_date(c.occurred_at, tz) for c in inside}))
        case Aggregate.DISTINCT_CATEGORIES:
            return float(len(frozenset().union(*(c.categories for c in inside))))
        case Aggregate.COUNT:
            return float(len(inside))
        case _:
            return float(sum((c.value for c in inside), Decimal(0)))
