"""Properties: folding events one by one, in any order and with replays, agrees with a direct
computation over the distinct events."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gamification.rules import (
    Aggregate,
    EventKind,
    MemberEvent,
    ProgressState,
    Rule,
    apply_event,
    current_value,
)
from gamification.rules.local_time import local_date, week_number

ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "Europe/Madrid",
        "America/New_York",
        "Asia/Kolkata",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Australia/Lord_Howe",
    )
]
# A month spanning both spring DST changes (New York 8 March, Madrid 29 March 2026).
FIRST = datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC"))
SPAN_MINUTES = 30 * 24 * 60
CATEGORIES = ["shoes", "hats", "socks", "coats", "bags"]


@st.composite
def distinct_purchases(draw: st.DrawFn) -> list[MemberEvent]:
    size = draw(st.integers(min_value=0, max_value=30))
    return [
        MemberEvent(
            kind=EventKind.PURCHASE,
            occurred_at=FIRST + timedelta(minutes=draw(st.integers(0, SPAN_MINUTES))),
            reference=f"order-{i}",
            amount=Decimal(draw(st.integers(1, 100_000))) / 100,
            points=draw(st.integers(0, 500)),
            categories=frozenset(draw(st.sets(st.sampled_from(CATEGORIES), max_size=3))),
            channel="APP",
        )
        for i in range(size)
    ]


@st.composite
def replayed_in_any_order(draw: st.DrawFn) -> tuple[list[MemberEvent], list[MemberEvent]]:
    """Distinct events, and the same events shuffled with some applied more than once."""
    events = draw(distinct_purchases())
    replays = draw(st.lists(st.sampled_from(events), max_size=20)) if events else []
    return events, draw(st.permutations([*events, *replays]))


def fold(rule: Rule, events: list[MemberEvent], tz: ZoneInfo) -> ProgressState:
    state = ProgressState()
    for i, event in enumerate(events):
        state = apply_event(rule, state, event, tz)
        if i % 7 == 3:  # the engine stores the state between events
            state = ProgressState.from_json(json.loads(json.dumps(state.to_json())))
    return state


def direct(aggregate: Aggregate, events: list[MemberEvent], tz: ZoneInfo) -> float:
    match aggregate:
        case Aggregate.COUNT:
            return float(len(events))
        case Aggregate.SUM_AMOUNT:
            return float(sum((e.amount or Decimal(0) for e in events), Decimal(0)))
        case Aggregate.SUM_POINTS:
            return float(sum(e.points for e in events))
        case Aggregate.DISTINCT_DAYS:
            return float(len({local_date(e.occurred_at, tz) for e in events}))
        case Aggregate.DISTINCT_CATEGORIES:
            return float(len(frozenset().union(*(e.categories for e in events))))
    raise AssertionError(aggregate)


def streak(units: set[int], current: int) -> int:
    end = current if current in units else current - 1
    length = 0
    while end - length in units:
        length += 1
    return length


NON_STREAKS = [a for a in Aggregate if a not in (Aggregate.STREAK_DAYS, Aggregate.STREAK_WEEKS)]


@settings(max_examples=200, deadline=None)
@given(
    replayed_in_any_order(),
    st.sampled_from(NON_STREAKS),
    st.sampled_from(ZONES),
)
def test_any_order_with_replays_gives_the_value_of_the_distinct_events(
    scenario: tuple[list[MemberEvent], list[MemberEvent]], aggregate: Aggregate, tz: ZoneInfo
) -> None:
    events, applied = scenario
    rule = Rule(EventKind.PURCHASE, aggregate, 1)
    now = FIRST + timedelta(days=31)

    assert current_value(rule, fold(rule, applied, tz), now, tz) == direct(aggregate, events, tz)


@settings(max_examples=200, deadline=None)
@given(
    replayed_in_any_order(),
    st.sampled_from(NON_STREAKS),
    st.sampled_from(ZONES),
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=0, max_value=SPAN_MINUTES + 10 * 24 * 60),
)
def test_a_window_holds_exactly_the_distinct_events_of_its_last_local_days(
    scenario: tuple[list[MemberEvent], list[MemberEvent]],
    aggregate: Aggregate,
    tz: ZoneInfo,
    window_days: int,
    minutes: int,
) -> None:
    events, applied = scenario
    rule = Rule(EventKind.PURCHASE, aggregate, 1, window_days=window_days)
    latest = max((e.occurred_at for e in events), default=FIRST)
    now = max(latest, FIRST + timedelta(minutes=minutes))
    first_day = local_date(now, tz) - timedelta(days=window_days - 1)
    inside = [e for e in events if local_date(e.occurred_at, tz) >= first_day]

    assert current_value(rule, fold(rule, applied, tz), now, tz) == direct(aggregate, inside, tz)


@settings(max_examples=200, deadline=None)
@given(
    replayed_in_any_order(),
    st.sampled_from([Aggregate.STREAK_DAYS, Aggregate.STREAK_WEEKS]),
    st.sampled_from(ZONES),
    st.integers(min_value=0, max_value=SPAN_MINUTES + 20 * 24 * 60),
)
def test_a_streak_is_the_run_of_local_days_or_weeks_ending_now_or_just_before(
    scenario: tuple[list[MemberEvent], list[MemberEvent]],
    aggregate: Aggregate,
    tz: ZoneInfo,
    minutes: int,
) -> None:
    events, applied = scenario
    rule = Rule(EventKind.PURCHASE, aggregate, 1)
    latest = max((e.occurred_at for e in events), default=FIRST)
    now = max(latest, FIRST + timedelta(minutes=minutes))

    def unit(day: date) -> int:
        return week_number(day) if aggregate is Aggregate.STREAK_WEEKS else day.toordinal()

    units = {unit(local_date(e.occurred_at, tz)) for e in events}
    expected = streak(units, unit(local_date(now, tz)))

    assert current_value(rule, fold(rule, applied, tz), now, tz) == expected
