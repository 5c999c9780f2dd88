"""Geofence arithmetic: radius classes, distances, cooldown windows, birthdays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from push.automations import is_birthday
from push.stores.geoindex import RADIUS_CLASSES, distance_m, radius_class
from push.stores.services import cooldown_window_start


@pytest.mark.parametrize(
    ("radius", "index"), [(50, 0), (250, 0), (250.01, 1), (1000, 1), (4999, 2), (50_000, 3)]
)
def test_a_fence_is_filed_in_the_smallest_class_that_holds_its_radius(
    radius: float, index: int
) -> None:
    assert radius_class(radius) == index
    assert radius <= RADIUS_CLASSES[index]


def test_a_radius_beyond_the_largest_class_has_no_class() -> None:
    with pytest.raises(ValueError):
        radius_class(50_001)


def test_distances_match_known_ones() -> None:
    madrid_sol = (40.4169, -3.7035)
    barcelona_catalunya = (41.3870, 2.1701)
    assert distance_m(*madrid_sol, *barcelona_catalunya) == pytest.approx(505_000, rel=0.01)
    assert distance_m(*madrid_sol, *madrid_sol) == 0
    assert distance_m(0, 179.9995, 0, -179.9995) == pytest.approx(111, rel=0.02)  # antimeridian


def test_cooldown_windows_are_whole_cooldowns_since_the_epoch() -> None:
    moment = datetime(2026, 1, 15, 17, 45, tzinfo=UTC)

    assert cooldown_window_start(moment, 24) == datetime(2026, 1, 15, tzinfo=UTC)
    assert cooldown_window_start(moment, 1) == datetime(2026, 1, 15, 17, tzinfo=UTC)
    assert cooldown_window_start(moment, 6) == datetime(2026, 1, 15, 12, tzinfo=UTC)


def test_a_leap_day_birthday_is_celebrated_on_the_28th_in_other_years() -> None:
    leap_born = date(2000, 2, 29)

    assert is_birthday(leap_born, date(2027, 2, 28))
    assert not is_birthday(leap_born, date(2028, 2, 28))
    assert is_birthday(leap_born, date(2028, 2, 29))
    assert is_birthday(date(1990, 7, 1), date(2026, 7, 1))
    assert not is_birthday(date(1990, 7, 1), date(2026, 7, 2))
