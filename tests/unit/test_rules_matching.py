from datetime import datetime
from decimal import Decimal

import pytest

from gamification.rules import Aggregate, Channel, EventKind, MemberEvent, Rule, matches
from tests.unit.rules_factories import MADRID, at, event, purchase

NOON = at("2026-01-15 12:00")


def test_an_event_of_another_kind_does_not_match() -> None:
    assert not matches(Rule(EventKind.SHARE, Aggregate.COUNT, 1), purchase(NOON))


def test_a_rule_without_filters_matches_every_event_of_its_kind() -> None:
    assert matches(Rule(EventKind.PURCHASE, Aggregate.COUNT, 1), purchase(NOON, channel=None))


def test_a_category_filter_matches_purchases_holding_that_category_among_others() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 1, category="shoes")

    assert matches(rule, purchase(NOON, categories={"shoes", "socks"}))
    assert not matches(rule, purchase(NOON, categories={"socks"}))
    assert not matches(rule, purchase(NOON, categories=()))


def test_a_channel_filter_matches_only_that_channel() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 1, channel=Channel.WEB)

    assert matches(rule, purchase(NOON, channel="WEB"))
    assert not matches(rule, purchase(NOON, channel="APP"))
    assert not matches(rule, purchase(NOON, channel=None))


def test_a_store_filter_matches_only_that_store() -> None:
    rule = Rule(EventKind.STORE_VISIT, Aggregate.COUNT, 1, store_code="MAD-01")

    assert matches(rule, event(EventKind.STORE_VISIT, NOON, store_code="MAD-01"))
    assert not matches(rule, event(EventKind.STORE_VISIT, NOON, store_code="BCN-01"))
    assert not matches(rule, event(EventKind.STORE_VISIT, NOON))


def test_a_minimum_amount_is_inclusive_and_an_event_without_amount_fails_it() -> None:
    rule = Rule(EventKind.PURCHASE, Aggregate.COUNT, 1, min_amount=Decimal("50"))

    assert matches(rule, purchase(NOON, amount="50.00"))
    assert matches(rule, purchase(NOON, amount="50.01"))
    assert not matches(rule, purchase(NOON, amount="49.99"))
    assert not matches(rule, event(EventKind.PURCHASE, NOON))


def test_every_filter_must_pass() -> None:
    rule = Rule(
        EventKind.PURCHASE,
        Aggregate.COUNT,
        1,
        category="shoes",
        channel=Channel.STORE,
        store_code="MAD-01",
        min_amount=Decimal(20),
    )
    good = {"categories": {"shoes"}, "channel": "STORE", "store_code": "MAD-01", "amount": "25"}

    assert matches(rule, purchase(NOON, **good))  # type: ignore[arg-type]
    for name, wrong in [
        ("categories", {"hats"}),
        ("channel", "WEB"),
        ("store_code", "BCN-01"),
        ("amount", "19"),
    ]:
        assert not matches(rule, purchase(NOON, **{**good, name: wrong}))  # type: ignore[arg-type]


def test_an_event_needs_an_aware_time_and_keeps_it_in_utc() -> None:
    with pytest.raises(ValueError):
        MemberEvent(EventKind.SHARE, datetime(2026, 1, 15, 12), "s-1")

    shared = event(EventKind.SHARE, at("2026-01-15 00:30", MADRID))

    assert shared.occurred_at == at("2026-01-14 23:30")
    assert shared.occurred_at.utcoffset() is not None
    assert shared.occurred_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
