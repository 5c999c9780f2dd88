"""Segment rules as values: validation, normalisation, storage and ages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import InvalidInput, ValidationErrors
from domain.purchases.models import Channel
from domain.segments.rules import SegmentRule, age_on, check_segment_code, latest_birth_date


def test_a_valid_rule_is_normalised() -> None:
    rule = SegmentRule(
        countries=("es", "ES", " fr "),
        cities=(" Madrid ", "Madrid"),
        channels=(Channel.APP, Channel.APP),
        has_badge_code=" explorer ",
    ).validated()
    assert rule.countries == ("ES", "FR")
    assert rule.cities == ("Madrid",)
    assert rule.channels == (Channel.APP,)
    assert rule.has_badge_code == "explorer"


def test_every_invalid_condition_is_reported_under_its_field() -> None:
    rule = SegmentRule(
        min_tier_level=-1,
        min_age=200,
        max_age=-1,
        min_purchases=-2,
        purchased_within_days=0,
        not_purchased_within_days=20_000,
        min_lifetime_spend=Decimal("10.001"),
        countries=("ZZ",),
        cities=("",),
    )
    with pytest.raises(ValidationErrors) as raised:
        rule.validated()
    assert [e.field[-1] for e in raised.value.errors if e.field] == [
        "minTierLevel",
        "minAge",
        "maxAge",
        "minPurchases",
        "purchasedWithinDays",
        "notPurchasedWithinDays",
        "minLifetimeSpend",
        "countries",
        "cities",
    ]


def test_min_age_above_max_age_is_refused() -> None:
    with pytest.raises(ValidationErrors) as raised:
        SegmentRule(min_age=30, max_age=29).validated()
    assert [e.field for e in raised.value.errors] == [["input", "rule", "minAge"]]
    assert SegmentRule(min_age=30, max_age=30).validated().min_age == 30


def test_a_rule_survives_storage_unchanged() -> None:
    rule = SegmentRule(
        min_tier_level=2,
        countries=("ES",),
        cities=("Madrid",),
        min_age=18,
        max_age=65,
        min_lifetime_spend=Decimal("99.90"),
        min_purchases=3,
        purchased_within_days=90,
        not_purchased_within_days=30,
        has_badge_code="explorer",
        channels=(Channel.STORE, Channel.WEB),
    )
    assert SegmentRule.from_json(rule.to_json()) == rule
    assert SegmentRule().to_json() == {}


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(2000, 5, 10), date(2026, 5, 9), 25),
        (date(2000, 5, 10), date(2026, 5, 10), 26),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
    ],
)
def test_age_counts_whole_years(birth: date, today: date, age: int) -> None:
    assert age_on(birth, today) == age
    assert birth <= latest_birth_date(today, age)
    assert birth > latest_birth_date(today, age + 1)


def test_the_latest_birth_date_for_an_age_on_29_february() -> None:
    assert latest_birth_date(date(2028, 2, 29), 18) == date(2010, 2, 28)
    assert latest_birth_date(date(2028, 2, 29), 20) == date(2008, 2, 29)


@pytest.mark.parametrize("code", ["vip", "lapsed-90", "ES_gold.2026"])
def test_good_segment_codes(code: str) -> None:
    assert check_segment_code(f" {code} ", ["input", "code"]) == code


@pytest.mark.parametrize("code", ["", "-lead", "with space", "x" * 65, "émoji"])
def test_bad_segment_codes(code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_segment_code(code, ["input", "code"])
    assert raised.value.field == ["input", "code"]
