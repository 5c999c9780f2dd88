"""What an audit entry keeps of a change (domain.audit): the changed fields on each side,
as plain JSON, never secrets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

from domain.audit import changes, plain
from domain.audit.recording import SECRET_COLUMN


class Colour(Enum):
    RED = "RED"


def test_only_the_fields_that_moved_are_kept_each_side_with_its_value() -> None:
    before = {"name": "Coffee", "cost": 10, "active": True}
    after = {"name": "Coffee", "cost": 20, "active": True}
    assert changes(before, after) == ({"cost": 10}, {"cost": 20})


def test_a_field_that_appeared_or_went_is_on_one_side_only() -> None:
    assert changes({"a": 1, "gone": 2}, {"a": 1, "new": 3}) == ({"gone": 2}, {"new": 3})


def test_nested_objects_are_compared_level_by_level() -> None:
    before = {"GOLD": {"name": "Gold", "level": 2}, "BASE": {"name": "Base", "level": 0}}
    after = {"GOLD": {"name": "Gold", "level": 1}, "SILVER": {"name": "Silver", "level": 2},
             "BASE": {"name": "Base", "level": 0}}  # fmt: skip
    assert changes(before, after) == (
        {"GOLD": {"level": 2}},
        {"GOLD": {"level": 1}, "SILVER": {"name": "Silver", "level": 2}},
    )


def test_creation_and_removal_keep_the_whole_snapshot() -> None:
    assert changes(None, {"a": 1}) == (None, {"a": 1})
    assert changes({"a": 1}, None) == ({"a": 1}, None)
    assert changes({"a": 1}, {"a": 1}) == ({}, {})


def test_values_are_plain_json_with_one_spelling_per_number() -> None:
    moment = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert plain(Decimal("1.50")) == plain(Decimal("1.5")) == "1.5"
    assert plain(Decimal("10")) == plain(Decimal("1E+1")) == "10"
    assert plain(moment) == "2026-01-15T12:00:00+00:00"
    assert plain(Colour.RED) == "RED"
    assert plain({"k": (1, Decimal("2.0"))}) == {"k": [1, "2"]}
    assert plain(float("nan")) is None


def test_secret_columns_are_recognised_and_a_badges_secret_flag_is_not() -> None:
    for name in ("password_hash", "webhook_secret", "secret_key", "api_key", "token",
                 "refresh_token", "credentials"):  # fmt: skip
        assert SECRET_COLUMN.search(name), name
    for name in ("secret", "name", "description", "cost_points"):
        assert not SECRET_COLUMN.search(name), name
