"""Validating a tier configuration and placing members on the ladder."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import ValidationErrors
from domain.tiers.ladder import TierSpec, next_rung, qualified_rung, validate_ladder


def spec(code: str, level: int, points: int, multiplier: str = "1") -> TierSpec:
    return TierSpec(
        code=code,
        name=code.title(),
        level=level,
        qualifying_points=points,
        points_multiplier=Decimal(multiplier),
    )


LADDER = [spec("gold", 2, 5000, "1.5"), spec("bronze", 0, 0), spec("silver", 1, 1000, "1.25")]


def problems(specs: list[TierSpec]) -> list[tuple[str, list[str] | None]]:
    with pytest.raises(ValidationErrors) as caught:
        validate_ladder(specs)
    return [(e.code, e.field) for e in caught.value.errors]


def test_a_valid_ladder_comes_back_sorted_by_level_with_codes_upper_cased() -> None:
    ladder = validate_ladder(LADDER)
    assert [(t.code, t.level) for t in ladder] == [("BRONZE", 0), ("SILVER", 1), ("GOLD", 2)]


def test_a_ladder_needs_a_base_tier_at_level_zero() -> None:
    assert problems([spec("silver", 1, 0)]) == [("INVALID_INPUT", ["input"])]


def test_the_base_tier_needs_zero_qualifying_points() -> None:
    assert problems([spec("bronze", 0, 10)]) == [
        ("INVALID_INPUT", ["input", "0", "qualifyingPoints"])
    ]


def test_qualifying_points_must_rise_with_the_level() -> None:
    ladder = [spec("bronze", 0, 0), spec("gold", 2, 500), spec("silver", 1, 1000)]
    assert problems(ladder) == [("INVALID_INPUT", ["input", "1", "qualifyingPoints"])]


def test_codes_and_levels_must_be_unique() -> None:
    ladder = [spec("bronze", 0, 0), spec("BRONZE", 1, 10), spec("silver", 1, 20)]
    assert problems(ladder) == [
        ("INVALID_INPUT", ["input", "1", "code"]),
        ("INVALID_INPUT", ["input", "2", "level"]),
    ]


@pytest.mark.parametrize("multiplier", ["0", "-1", "101", "1.00001", "NaN"])
def test_multipliers_must_be_positive_bounded_and_exact(multiplier: str) -> None:
    ladder = [spec("bronze", 0, 0, multiplier)]
    assert problems(ladder) == [("INVALID_INPUT", ["input", "0", "pointsMultiplier"])]


def test_every_field_at_fault_is_reported_together() -> None:
    bad = TierSpec(
        code="no spaces", name="", level=-1, qualifying_points=-5, points_multiplier=Decimal(0)
    )
    assert [f for _, f in problems([bad])] == [
        ["input", "0", "code"],
        ["input", "0", "name"],
        ["input", "0", "level"],
        ["input", "0", "qualifyingPoints"],
        ["input", "0", "pointsMultiplier"],
    ]


def test_members_qualify_for_the_highest_tier_their_points_reach() -> None:
    ladder = validate_ladder(LADDER)
    assert qualified_rung(ladder, 0).code == "BRONZE"
    assert qualified_rung(ladder, 999).code == "BRONZE"
    assert qualified_rung(ladder, 1000).code == "SILVER"
    assert qualified_rung(ladder, 10**6).code == "GOLD"


def test_the_next_tier_is_the_one_just_above_and_none_at_the_top() -> None:
    ladder = validate_ladder(LADDER)
    rung = next_rung(ladder, 0)
    assert rung is not None and rung.code == "SILVER"
    assert next_rung(ladder, 2) is None
