from decimal import Decimal

import pytest

from domain.errors import InvalidInput, ValidationErrors
from gamification.rules import AGGREGATE_EVENTS, Aggregate, Channel, EventKind, Rule, validate_rule

PREFIX = ["input", "rule"]


def problems(rule: Rule) -> list[tuple[str, list[str] | None]]:
    """(code, field) of every problem `validate_rule` reports; [] when the rule passes."""
    try:
        validate_rule(rule, PREFIX)
    except ValidationErrors as refused:
        assert all(isinstance(error, InvalidInput) for error in refused.errors)
        return [(error.code, error.field) for error in refused.errors]
    return []


def test_a_well_formed_rule_passes() -> None:
    rule = Rule(
        EventKind.PURCHASE,
        Aggregate.COUNT,
        3,
        window_days=30,
        category="shoes",
        channel=Channel.APP,
        store_code="MAD-01",
        min_amount=Decimal("20"),
    )

    assert problems(rule) == []


def test_sum_amount_over_shares_is_refused_at_the_aggregate_field() -> None:
    assert problems(Rule(EventKind.SHARE, Aggregate.SUM_AMOUNT, 100)) == [
        ("INVALID_INPUT", ["input", "rule", "aggregate"])
    ]


@pytest.mark.parametrize("aggregate", list(Aggregate))
@pytest.mark.parametrize("kind", list(EventKind))
def test_the_aggregate_and_event_table_decides_which_pairs_pass(
    aggregate: Aggregate, kind: EventKind
) -> None:
    expected_allowed = {
        Aggregate.COUNT: set(EventKind),
        Aggregate.DISTINCT_DAYS: set(EventKind),
        Aggregate.STREAK_DAYS: set(EventKind),
        Aggregate.STREAK_WEEKS: set(EventKind),
        Aggregate.SUM_AMOUNT: {EventKind.PURCHASE},
        Aggregate.DISTINCT_CATEGORIES: {EventKind.PURCHASE},
        Aggregate.SUM_POINTS: {
            EventKind.PURCHASE,
            EventKind.REFERRAL,
            EventKind.SHARE,
            EventKind.REVIEW,
            EventKind.SURVEY,
        },
    }[aggregate]
    assert (kind in AGGREGATE_EVENTS[aggregate]) == (kind in expected_allowed)

    found = problems(Rule(kind, aggregate, 2))

    assert found == (
        [] if kind in expected_allowed else [("INVALID_INPUT", [*PREFIX, "aggregate"])]
    )


@pytest.mark.parametrize("target", [0, -1, float("nan"), float("inf")])
def test_a_target_that_is_not_a_positive_number_is_refused_at_the_target_field(
    target: float,
) -> None:
    assert problems(Rule(EventKind.PURCHASE, Aggregate.SUM_AMOUNT, target)) == [
        ("INVALID_INPUT", [*PREFIX, "target"])
    ]


@pytest.mark.parametrize("aggregate", [a for a in Aggregate if a is not Aggregate.SUM_AMOUNT])
def test_counting_aggregates_refuse_a_fractional_target(aggregate: Aggregate) -> None:
    assert problems(Rule(EventKind.PURCHASE, aggregate, 2.5)) == [
        ("INVALID_INPUT", [*PREFIX, "target"])
    ]


def test_an_amount_target_may_have_cents() -> None:
    assert problems(Rule(EventKind.PURCHASE, Aggregate.SUM_AMOUNT, 99.99)) == []


@pytest.mark.parametrize("window_days", [0, -3, 367])
def test_a_window_outside_one_to_366_days_is_refused_at_window_days(window_days: int) -> None:
    assert problems(Rule(EventKind.PURCHASE, Aggregate.COUNT, 1, window_days=window_days)) == [
        ("INVALID_INPUT", [*PREFIX, "windowDays"])
    ]


@pytest.mark.parametrize("aggregate", [Aggregate.STREAK_DAYS, Aggregate.STREAK_WEEKS])
def test_streaks_refuse_a_window(aggregate: Aggregate) -> None:
    assert problems(Rule(EventKind.PURCHASE, aggregate, 3, window_days=30)) == [
        ("INVALID_INPUT", [*PREFIX, "windowDays"])
    ]


def test_distinct_days_cannot_ask_for_more_days_than_the_window_holds() -> None:
    assert problems(Rule(EventKind.SHARE, Aggregate.DISTINCT_DAYS, 8, window_days=7)) == [
        ("INVALID_INPUT", [*PREFIX, "target"])
    ]
    assert problems(Rule(EventKind.SHARE, Aggregate.DISTINCT_DAYS, 7, window_days=7)) == []


def test_a_windowed_count_cannot_ask_for_more_events_than_a_window_keeps() -> None:
    assert problems(Rule(EventKind.SHARE, Aggregate.COUNT, 1001, window_days=7)) == [
        ("INVALID_INPUT", [*PREFIX, "target"])
    ]
    assert problems(Rule(EventKind.SHARE, Aggregate.COUNT, 5000)) == []


@pytest.mark.parametrize(
    ("kind", "filters", "field"),
    [
        (EventKind.SHARE, {"category": "shoes"}, "category"),
        (EventKind.REVIEW, {"channel": Channel.APP}, "channel"),
        (EventKind.STORE_VISIT, {"channel": Channel.STORE}, "channel"),
        (EventKind.REFERRAL, {"store_code": "MAD-01"}, "storeCode"),
        (EventKind.STORE_VISIT, {"min_amount": Decimal(10)}, "minAmount"),
    ],
)
def test_a_filter_on_an_event_that_does_not_carry_it_is_refused_at_its_field(
    kind: EventKind, filters: dict[str, object], field: str
) -> None:
    assert problems(Rule(kind, Aggregate.COUNT, 1, **filters)) == [  # type: ignore[arg-type]
        ("INVALID_INPUT", [*PREFIX, field])
    ]


def test_store_visits_may_be_filtered_by_store() -> None:
    assert problems(Rule(EventKind.STORE_VISIT, Aggregate.COUNT, 3, store_code="MAD-01")) == []


def test_blank_category_and_store_code_are_refused() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 1, category=" ", store_code="")

    assert problems(rule) == [
        ("INVALID_INPUT", [*PREFIX, "category"]),
        ("INVALID_INPUT", [*PREFIX, "storeCode"]),
    ]


def test_a_negative_minimum_amount_is_refused() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 1, min_amount=Decimal("-1"))

    assert problems(rule) == [("INVALID_INPUT", [*PREFIX, "minAmount"])]


def test_distinct_categories_refuses_a_category_filter() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.DISTINCT_CATEGORIES, 3, category="shoes")

    assert problems(rule) == [("INVALID_INPUT", [*PREFIX, "category"])]


def test_every_problem_is_reported_at_once_in_input_order() -> None:
    rule = Rule(EventKind.SHARE, Aggregate.SUM_AMOUNT, -5, window_days=0, category="shoes")

    assert [field for _, field in problems(rule)] == [
        [*PREFIX, "aggregate"],
        [*PREFIX, "target"],
        [*PREFIX, "windowDays"],
        [*PREFIX, "category"],
    ]


def test_the_field_prefix_is_the_callers() -> None:
    with pytest.raises(ValidationErrors) as refused:
        validate_rule(Rule(EventKind.SHARE, Aggregate.COUNT, 0), ["input", "goal"])

    assert refused.value.errors[0].field == ["input", "goal", "target"]
    assert refused.value.errors[0].message
