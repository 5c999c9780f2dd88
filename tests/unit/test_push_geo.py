"""Geofence arithmetic: small and large fences, the in-process grid, distances, cooldown
windows, birthdays."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime

import pytest

from push.automations import is_birthday
from push.stores.catalogue import Fence, FenceGrid
from push.stores.geoindex import SMALL_FENCE_M, distance_m, is_small
from push.stores.services import cooldown_window_start


@pytest.mark.parametrize(
    ("radius", "small"), [(50, True), (500, True), (500.01, False), (50_000, False)]
)
def test_fences_up_to_500_metres_are_searched_in_redis_and_larger_ones_in_process(
    radius: float, small: bool
) -> None:
    assert is_small(radius) is small
    assert SMALL_FENCE_M == 500


def _point_near(fence: Fence, rng: random.Random) -> tuple[float, float]:
    """A point around the fence's edge (inside or out), by bearing and distance."""
    reach = fence.geofence_radius_m * rng.uniform(0.0, 1.3) / 6_372_797.560856
    bearing = rng.uniform(0, 2 * math.pi)
    lat1, lon1 = math.radians(fence.latitude), math.radians(fence.longitude)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(reach) + math.cos(lat1) * math.sin(reach) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(reach) * math.cos(lat1),
        math.cos(reach) - math.sin(lat1) * math.sin(lat2),
    )
    longitude = (math.degrees(lon2) + 540) % 360 - 180
    return math.degrees(lat2), longitude


def test_the_grid_finds_exactly_the_fences_that_hold_a_point_anywhere_on_earth() -> None:
    rng = random.Random(13)
    fences = [
        Fence(
            id=i,
            code=f"S{i}",
            name=f"Store {i}",
            address=None,
            # Near the poles' limit and the antimeridian too.
            latitude=rng.choice([rng.uniform(-85.05, 85.05), rng.uniform(80, 85.05)]),
            longitude=rng.choice([rng.uniform(-180, 180), rng.uniform(179.5, 180)]),
            geofence_radius_m=rng.uniform(500.01, 50_000),
        )
        for i in range(300)
    ]
    grid = FenceGrid(fences)
    checked = inside = 0
    for _ in range(3000):
        lat, lon = _point_near(rng.choice(fences), rng)
        expected = {f.id for f in fences if f.holds(lat, lon)}
        assert {f.id for f in grid.containing(lat, lon)} == expected
        checked += 1
        inside += bool(expected)
    assert grid.size == 300
    assert inside > checked / 2  # the property was tried on points inside fences


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
