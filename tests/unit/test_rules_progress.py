import json
from datetime import timedelta
from decimal import Decimal

import pytest

from gamification.rules import (
    Aggregate,
    EventKind,
    ProgressState,
    Rule,
    apply_event,
    current_value,
)
from gamification.rules.state import (
    LATE_EVENT_DAYS,
    MAX_WINDOW_CONTRIBUTIONS,
    RECENT_REFERENCES_KEPT,
)
from tests.unit.rules_factories import MADRID, UTC, apply_all, at, event, purchase

NOW = at("2026-01-31 20:00")


def value(rule: Rule, state: ProgressState, now=NOW, tz=UTC) -> float:  # type: ignore[no-untyped-def]
    return current_value(rule, state, now, tz)


def test_count_counts_the_matching_events() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 3, category="shoes")
    state = apply_all(
        rule,
        [
            purchase(at("2026-01-10 10:00"), categories={"shoes"}),
            purchase(at("2026-01-11 10:00"), categories={"hats"}),
            purchase(at("2026-01-12 10:00"), categories={"shoes", "hats"}),
            event(EventKind.SHARE, at("2026-01-12 11:00")),
        ],
        UTC,
    )

    assert value(rule, state) == 2


def test_sum_amount_adds_amounts_exactly() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.SUM_AMOUNT, 0.3)
    state = apply_all(
        rule,
        [
            purchase(at("2026-01-10 10:00"), amount="0.1"),
            purchase(at("2026-01-11 10:00"), amount="0.2"),
        ],
        UTC,
    )

    assert state.total == Decimal("0.3")
    assert value(rule, state) == 0.3


def test_sum_points_adds_the_points_each_event_earned() -> None:
    rule = Rule(EventKind.REFERRAL, Aggregate.SUM_POINTS, 1000)
    state = apply_all(
        rule,
        [
            event(EventKind.REFERRAL, at("2026-01-10 10:00"), points=500),
            event(EventKind.REFERRAL, at("2026-01-20 10:00"), points=250),
        ],
        UTC,
    )

    assert value(rule, state) == 750


def test_distinct_days_counts_local_dates_once_each() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.DISTINCT_DAYS, 5)
    state = apply_all(
        rule,
        [
            event(EventKind.SHARE, at("2026-01-10 09:00", MADRID)),
            event(EventKind.SHARE, at("2026-01-10 23:59", MADRID)),
            event(EventKind.SHARE, at("2026-01-11 00:00", MADRID)),
            event(EventKind.SHARE, at("2026-01-20 12:00", MADRID)),
        ],
        MADRID,
    )

    assert value(rule, state, tz=MADRID) == 3


def test_distinct_categories_counts_every_category_of_the_matching_purchases() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.DISTINCT_CATEGORIES, 4, channel="APP")  # type: ignore[arg-type]
    state = apply_all(
        rule,
        [
            purchase(at("2026-01-10 10:00"), categories={"shoes", "socks"}),
            purchase(at("2026-01-11 10:00"), categories={"socks", "hats"}),
            purchase(at("2026-01-12 10:00"), categories={"coats"}, channel="WEB"),
        ],
        UTC,
    )

    assert value(rule, state) == 3


def test_an_event_that_does_not_match_leaves_the_state_as_it_was() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 1, min_amount=Decimal(100))
    state = ProgressState()

    assert apply_event(rule, state, purchase(NOW, amount="99"), UTC) is state


RULES_OF_EVERY_SHAPE = [
    Rule(EventKind.PURCHASE, aggregate, 10, window_days=window)
    for aggregate in Aggregate
    for window in (None, 30)
    if not (window and aggregate in (Aggregate.STREAK_DAYS, Aggregate.STREAK_WEEKS))
]


@pytest.mark.parametrize("rule", RULES_OF_EVERY_SHAPE, ids=repr)
def test_applying_the_same_event_twice_counts_it_once(rule: Rule) -> None:
    first = purchase(at("2026-01-30 10:00"), "order-1", amount="12.50", categories={"shoes"})
    second = purchase(at("2026-01-31 10:00"), "order-2", amount="7.50", categories={"hats"})
    once = apply_all(rule, [first, second], UTC)

    twice = apply_all(rule, [first, second, first, second, first], UTC)

    assert twice == once
    assert value(rule, twice) == value(rule, once)
    assert value(rule, once) > 0


def test_a_retried_purchase_with_another_amount_is_still_the_same_order() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.SUM_AMOUNT, 100)
    state = apply_all(
        rule,
        [purchase(NOW, "order-1", amount="40"), purchase(NOW, "order-1", amount="45")],
        UTC,
    )

    assert value(rule, state) == 40


def test_references_are_remembered_for_the_last_64_events_and_no_further() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.COUNT, 1000)
    original = event(EventKind.SHARE, at("2026-01-01 10:00"), "share-0")
    later = [
        event(EventKind.SHARE, at("2026-01-02 10:00") + timedelta(minutes=i), f"share-{i + 1}")
        for i in range(RECENT_REFERENCES_KEPT)
    ]
    state = apply_all(rule, [original, *later[:-1], original], UTC)
    assert value(rule, state) == RECENT_REFERENCES_KEPT
    assert len(state.recent_references) == RECENT_REFERENCES_KEPT

    # Once 64 newer events have pushed it out, a replay of the original is no longer known.
    state = apply_all(rule, [later[-1], original], UTC, state)
    assert value(rule, state) == RECENT_REFERENCES_KEPT + 2


def test_a_windowed_count_drops_events_as_they_leave_the_window() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 3, window_days=7)
    state = apply_all(
        rule,
        [purchase(at("2026-01-01 09:00")), purchase(at("2026-01-05 09:00"))],
        UTC,
    )

    assert value(rule, state, now=at("2026-01-07 23:59")) == 2
    assert value(rule, state, now=at("2026-01-08 00:00")) == 1
    assert value(rule, state, now=at("2026-01-11 23:59")) == 1
    assert value(rule, state, now=at("2026-01-12 00:00")) == 0


def test_a_window_is_made_of_the_members_local_calendar_days() -> None:
    # Madrid is UTC+1 in January: the window of 7 days on the 8th starts at 2 January 00:00
    # in Madrid, which is 1 January 23:00 UTC.
    rule = Rule(EventKind.SHARE, Aggregate.COUNT, 3, window_days=7)
    inside = event(EventKind.SHARE, at("2026-01-02 00:10", MADRID))
    outside = event(EventKind.SHARE, at("2026-01-01 23:50", MADRID))
    state = apply_all(rule, [inside, outside], MADRID)

    assert value(rule, state, now=at("2026-01-08 23:59", MADRID), tz=MADRID) == 1


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        (Aggregate.COUNT, 2),
        (Aggregate.SUM_AMOUNT, 30),
        (Aggregate.SUM_POINTS, 7),
        (Aggregate.DISTINCT_DAYS, 1),
        (Aggregate.DISTINCT_CATEGORIES, 2),
    ],
)
def test_every_windowed_aggregate_ignores_what_happened_before_the_window(
    aggregate: Aggregate, expected: float
) -> None:
    rule = Rule(EventKind.PURCHASE, aggregate, 1, window_days=3)
    events = [
        purchase(at("2026-01-20 10:00"), amount="100", points=100, categories={"old"}),
        purchase(at("2026-01-30 10:00"), amount="10", points=3, categories={"shoes"}),
        purchase(at("2026-01-30 18:00"), amount="20", points=4, categories={"hats"}),
    ]

    assert value(rule, apply_all(rule, events, UTC)) == expected


def test_a_window_keeps_only_the_events_it_may_still_need() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.COUNT, 5, window_days=7)
    start = at("2026-01-01 12:00")
    state = apply_all(
        rule, [event(EventKind.SHARE, start + timedelta(days=d)) for d in range(100)], UTC
    )

    newest = start + timedelta(days=99)
    assert all(newest - c.occurred_at <= timedelta(days=8) for c in state.contributions)
    assert len(state.contributions) == 9
    assert value(rule, state, now=newest) == 7


def test_an_event_reported_after_its_window_has_passed_is_not_kept() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.COUNT, 5, window_days=7)
    state = apply_all(rule, [event(EventKind.SHARE, at("2026-01-31 10:00"))], UTC)

    late = event(EventKind.SHARE, at("2026-01-10 10:00"))

    assert apply_event(rule, state, late, UTC) == state


def test_a_window_keeps_at_most_the_newest_thousand_events_and_stays_idempotent() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.COUNT, 1000, window_days=1)
    start = at("2026-01-31 00:00")
    events = [
        event(EventKind.SHARE, start + timedelta(seconds=i), f"share-{i}")
        for i in range(MAX_WINDOW_CONTRIBUTIONS + 1)
    ]
    state = apply_all(rule, events, UTC)

    assert len(state.contributions) == MAX_WINDOW_CONTRIBUTIONS
    assert value(rule, state) == MAX_WINDOW_CONTRIBUTIONS
    assert apply_event(rule, state, events[0], UTC) == state


def test_distinct_days_keeps_runs_of_days_not_every_day() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.DISTINCT_DAYS, 1000)
    start = at("2024-01-01 12:00")
    state = apply_all(
        rule, [event(EventKind.SHARE, start + timedelta(days=2 * d)) for d in range(500)], UTC
    )

    assert value(rule, state, now=start + timedelta(days=1000)) == 500
    assert len(state.runs) <= LATE_EVENT_DAYS // 2 + 1
    assert len(json.dumps(state.to_json())) < 500


def test_a_day_reported_more_than_35_days_after_the_newest_is_not_counted() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.DISTINCT_DAYS, 10)
    state = apply_all(rule, [event(EventKind.SHARE, at("2026-03-01 10:00"))], UTC)

    state = apply_all(
        rule,
        [
            event(EventKind.SHARE, at("2026-01-20 10:00")),  # 40 days late: unknown, ignored
            event(EventKind.SHARE, at("2026-02-01 10:00")),  # 28 days late: counted
        ],
        UTC,
        state,
    )

    assert value(rule, state, now=at("2026-03-01 12:00")) == 2


@pytest.mark.parametrize("rule", RULES_OF_EVERY_SHAPE, ids=repr)
def test_a_state_read_back_from_json_gives_the_same_value_and_goes_on(rule: Rule) -> None:
    events = [
        purchase(at("2026-01-28 10:00"), amount="12.50", points=5, categories={"shoes"}),
        purchase(at("2026-01-29 23:30"), amount="3", points=2, categories={"hats", "shoes"}),
    ]
    state = apply_all(rule, events, MADRID)

    loaded = ProgressState.from_json(json.loads(json.dumps(state.to_json())))

    assert loaded == state
    assert value(rule, loaded, tz=MADRID) == value(rule, state, tz=MADRID)
    more = purchase(at("2026-01-31 10:00"), amount="1", categories={"coats"})
    assert apply_event(rule, loaded, more, MADRID) == apply_event(rule, state, more, MADRID)


def test_the_initial_state_is_an_empty_json_document() -> None:
    assert ProgressState().to_json() == {}
    assert ProgressState.from_json({}) == ProgressState()


def test_the_value_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        current_value(
            Rule(EventKind.SHARE, Aggregate.COUNT, 1),
            ProgressState(),
            NOW.replace(tzinfo=None),
            UTC,
        )
