"""What an admin may configure as a reward: every problem is reported at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import ValidationErrors
from domain.rewards.catalogue import RewardSpec, validate_reward_spec
from domain.rewards.models import RewardKind


def spec(**changes: object) -> RewardSpec:
    base: dict[str, object] = {
        "code": "TEN-OFF",
        "name": "10% off",
        "description": "Ten percent off your next order",
        "kind": RewardKind.PERCENT_DISCOUNT,
        "cost_points": 500,
        "value": Decimal("10"),
    }
    return RewardSpec(**{**base, **changes})  # type: ignore[arg-type]


def problems(reward: RewardSpec) -> list[tuple[str, str]]:
    with pytest.raises(ValidationErrors) as raised:
        validate_reward_spec(reward)
    return [(e.code, e.field[-1] if e.field else "") for e in raised.value.errors]


def test_a_valid_percent_discount_passes_with_its_values() -> None:
    values = validate_reward_spec(spec(stock=10, per_member_limit=2, coupon_valid_days=7))
    assert values["value"] == Decimal("10")
    assert (values["stock"], values["per_member_limit"], values["coupon_valid_days"]) == (10, 2, 7)


def test_free_rewards_unlimited_stock_and_coupons_that_never_expire_are_allowed() -> None:
    values = validate_reward_spec(
        spec(kind=RewardKind.FREE_SHIPPING, value=None, cost_points=0, coupon_valid_days=None)
    )
    assert (values["cost_points"], values["stock"], values["coupon_valid_days"]) == (0, None, None)


@pytest.mark.parametrize("value", ["0", "-5", "100.01", "12.345"])
def test_a_percent_discount_is_more_than_zero_and_at_most_a_hundred(value: str) -> None:
    assert problems(spec(value=Decimal(value))) == [("INVALID_INPUT", "value")]


def test_a_percent_of_exactly_one_hundred_is_allowed() -> None:
    assert validate_reward_spec(spec(value=Decimal("100")))["value"] == Decimal("100")


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_fixed_discount_is_a_positive_amount(value: str) -> None:
    reward = spec(kind=RewardKind.FIXED_DISCOUNT, value=Decimal(value))
    assert problems(reward) == [("INVALID_INPUT", "value")]


@pytest.mark.parametrize("kind", [RewardKind.PERCENT_DISCOUNT, RewardKind.FIXED_DISCOUNT])
def test_discounts_need_a_value(kind: RewardKind) -> None:
    assert problems(spec(kind=kind, value=None)) == [("INVALID_INPUT", "value")]


@pytest.mark.parametrize("kind", [RewardKind.FREE_SHIPPING, RewardKind.PRODUCT])
def test_other_rewards_have_no_value(kind: RewardKind) -> None:
    assert problems(spec(kind=kind, value=Decimal("5"))) == [("INVALID_INPUT", "value")]


def test_every_invalid_field_is_reported_together() -> None:
    reward = spec(
        code="bad code!",
        name=" ",
        cost_points=-1,
        min_tier_level=-1,
        stock=-1,
        per_member_limit=0,
        coupon_valid_days=0,
    )
    assert problems(reward) == [
        ("INVALID_INPUT", "code"),
        ("INVALID_INPUT", "name"),
        ("INVALID_INPUT", "costPoints"),
        ("INVALID_INPUT", "minTierLevel"),
        ("INVALID_INPUT", "stock"),
        ("INVALID_INPUT", "perMemberLimit"),
        ("INVALID_INPUT", "couponValidDays"),
    ]
