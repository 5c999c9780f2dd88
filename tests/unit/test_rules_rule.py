import json
from decimal import Decimal

import pytest

from gamification.rules import Aggregate, Channel, EventKind, Recurrence, Rule


def test_the_enums_carry_exactly_the_contract_names() -> None:
    assert [kind.name for kind in EventKind] == [
        "PURCHASE",
        "REFERRAL",
        "SHARE",
        "REVIEW",
        "SURVEY",
        "STORE_VISIT",
        "REDEMPTION",
        "DROP_CLAIM",
    ]
    assert [aggregate.name for aggregate in Aggregate] == [
        "COUNT",
        "SUM_AMOUNT",
        "SUM_POINTS",
        "DISTINCT_DAYS",
        "DISTINCT_CATEGORIES",
        "STREAK_DAYS",
        "STREAK_WEEKS",
    ]
    assert [recurrence.name for recurrence in Recurrence] == ["NONE", "DAILY", "WEEKLY", "MONTHLY"]
    assert [channel.name for channel in Channel] == ["APP", "WEB", "STORE"]
    assert all(member.value == member.name for member in (*EventKind, *Aggregate, *Recurrence))


def test_a_rule_survives_a_round_trip_through_a_json_column() -> None:
    rule = Rule(
        event=EventKind.PURCHASE,
        aggregate=Aggregate.SUM_AMOUNT,
        target=199.5,
        window_days=30,
        category="shoes",
        channel=Channel.STORE,
        store_code="MAD-01",
        min_amount=Decimal("49.90"),
    )

    stored = json.loads(json.dumps(rule.to_json()))

    assert stored["min_amount"] == "49.90"
    assert Rule.from_json(stored) == rule


def test_a_rule_stored_without_its_optional_keys_loads_with_no_filters() -> None:
    rule = Rule.from_json({"event": "SHARE", "aggregate": "COUNT", "target": 3})

    assert rule == Rule(EventKind.SHARE, Aggregate.COUNT, 3.0)
    assert rule.window_days is None and rule.min_amount is None and rule.channel is None


def test_a_rule_takes_the_contract_names_as_plain_strings() -> None:
    rule = Rule(event="PURCHASE", aggregate="STREAK_DAYS", target=7, channel="APP")  # type: ignore[arg-type]

    assert rule.event is EventKind.PURCHASE
    assert rule.aggregate is Aggregate.STREAK_DAYS
    assert rule.channel is Channel.APP
    assert rule.target == 7.0


def test_a_rule_with_an_unknown_aggregate_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        Rule(event="PURCHASE", aggregate="AVERAGE", target=1)  # type: ignore[arg-type]
