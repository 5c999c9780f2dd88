"""Leaderboard periods close at midnight in the program's time zone, across DST and year ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gamification.leaderboards.periods import (
    LeaderboardWindow,
    Period,
    period_for,
    previous_period,
)

DAILY = LeaderboardWindow.DAILY
WEEKLY = LeaderboardWindow.WEEKLY
MONTHLY = LeaderboardWindow.MONTHLY
ALL_TIME = LeaderboardWindow.ALL_TIME
PARIS = ZoneInfo("Europe/Paris")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_day_runs_from_local_midnight_to_local_midnight_in_utc() -> None:
    period = period_for(DAILY, utc(2026, 1, 15, 12), PARIS)

    assert period == Period("2026-01-15", utc(2026, 1, 14, 23), utc(2026, 1, 15, 23))
    assert period.start is not None and period.start.tzinfo is UTC


def test_an_instant_before_local_midnight_in_utc_already_belongs_to_the_next_local_day() -> None:
    assert period_for(DAILY, utc(2026, 1, 14, 23, 30), PARIS).key == "2026-01-15"
    assert period_for(DAILY, utc(2026, 1, 14, 22, 59, 59), PARIS).key == "2026-01-14"


def test_the_day_clocks_spring_forward_lasts_23_hours() -> None:
    period = period_for(DAILY, utc(2026, 3, 29, 12), PARIS)

    assert period.start == utc(2026, 3, 28, 23)
    assert period.end == utc(2026, 3, 29, 22)


def test_the_day_clocks_fall_back_lasts_25_hours() -> None:
    period = period_for(DAILY, utc(2026, 10, 25, 12), PARIS)

    assert period.start == utc(2026, 10, 24, 22)
    assert period.end == utc(2026, 10, 25, 23)


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    santiago = ZoneInfo("America/Santiago")  # 2024-09-08 00:00 -04 became 01:00 -03

    period = period_for(DAILY, utc(2024, 9, 8, 12), santiago)

    assert period.key == "2024-09-08"
    assert period.start == utc(2024, 9, 8, 4)
    assert period_for(DAILY, utc(2024, 9, 8, 3, 59, 59), santiago).key == "2024-09-07"


def test_when_clocks_fall_back_at_midnight_the_repeated_hour_belongs_to_the_old_day() -> None:
    sao_paulo = ZoneInfo("America/Sao_Paulo")  # 2018-02-18 00:00 -02 went back to 17th 23:00 -03
    repeated_hour = utc(2018, 2, 18, 2, 30)  # the wall clock shows 2018-02-17 23:30 again

    period = period_for(DAILY, repeated_hour, sao_paulo)

    assert period == Period("2018-02-17", utc(2018, 2, 17, 2), utc(2018, 2, 18, 3))
    assert period_for(DAILY, utc(2018, 2, 18, 3), sao_paulo).key == "2018-02-18"


def test_a_date_a_zone_skipped_is_an_empty_day_between_its_neighbours() -> None:
    apia = ZoneInfo("Pacific/Apia")  # 2011-12-30 never happened in Samoa

    before = period_for(DAILY, utc(2011, 12, 30, 9, 59), apia)
    after = period_for(DAILY, utc(2011, 12, 30, 10), apia)

    assert (before.key, after.key) == ("2011-12-29", "2011-12-31")
    assert before.end == after.start == utc(2011, 12, 30, 10)
    assert previous_period(DAILY, utc(2011, 12, 30, 10), apia) == before


def test_a_week_starts_on_monday_and_is_named_by_its_iso_year_and_week() -> None:
    period = period_for(WEEKLY, utc(2026, 1, 15, 12), PARIS)  # a Thursday

    assert period == Period("2026-W03", utc(2026, 1, 11, 23), utc(2026, 1, 18, 23))


def test_the_first_days_of_january_can_belong_to_the_last_iso_week_of_the_year_before() -> None:
    assert period_for(WEEKLY, utc(2027, 1, 1, 12), PARIS).key == "2026-W53"
    assert period_for(WEEKLY, utc(2027, 1, 4, 12), PARIS).key == "2027-W01"


def test_the_last_days_of_december_can_belong_to_the_first_iso_week_of_the_next_year() -> None:
    period = period_for(WEEKLY, utc(2024, 12, 31, 12), PARIS)

    assert period.key == "2025-W01"
    assert period.start == utc(2024, 12, 29, 23)


def test_a_week_with_a_dst_change_is_an_hour_short() -> None:
    period = period_for(WEEKLY, utc(2026, 3, 25, 12), PARIS)

    assert period.start is not None and period.end is not None
    assert period.end - period.start == timedelta(days=7, hours=-1)


def test_a_month_runs_from_the_first_to_the_first_of_the_next_month() -> None:
    period = period_for(MONTHLY, utc(2026, 2, 10), PARIS)

    assert period == Period("2026-02", utc(2026, 1, 31, 23), utc(2026, 2, 28, 23))


def test_a_new_year_starts_in_the_programs_time_zone_not_in_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    new_years_eve_in_utc = utc(2025, 12, 31, 15, 30)

    assert period_for(MONTHLY, new_years_eve_in_utc, tokyo).key == "2026-01"
    assert period_for(MONTHLY, new_years_eve_in_utc, PARIS).key == "2025-12"
    assert period_for(DAILY, new_years_eve_in_utc, tokyo).start == utc(2025, 12, 31, 15)


def test_all_time_has_one_period_without_bounds() -> None:
    assert period_for(ALL_TIME, utc(2026, 1, 15), PARIS) == Period("all", None, None)
    assert previous_period(ALL_TIME, utc(2026, 1, 15), PARIS) is None


def test_the_previous_period_is_the_one_that_closed_last() -> None:
    new_year = utc(2025, 12, 31, 23)  # midnight in Paris

    assert previous_period(DAILY, new_year, PARIS) == period_for(DAILY, new_year - HOUR, PARIS)
    assert previous_period(DAILY, new_year, PARIS).key == "2025-12-31"  # type: ignore[union-attr]
    assert previous_period(WEEKLY, new_year, PARIS).key == "2025-W52"  # type: ignore[union-attr]
    assert previous_period(MONTHLY, new_year, PARIS).key == "2025-12"  # type: ignore[union-attr]


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        period_for(DAILY, datetime(2026, 1, 15), PARIS)


HOUR = timedelta(hours=1)
ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "America/Santiago",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Pacific/Chatham",
]


@settings(max_examples=300, deadline=None)
@given(
    window=st.sampled_from([DAILY, WEEKLY, MONTHLY]),
    zone=st.sampled_from(ZONES),
    moment=st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2035, 12, 31)),
)
def test_periods_contain_their_instants_and_tile_time(
    window: LeaderboardWindow, zone: str, moment: datetime
) -> None:
    tz = ZoneInfo(zone)
    at = moment.replace(tzinfo=UTC)

    period = period_for(window, at, tz)

    assert period.start is not None and period.end is not None
    assert period.start <= at < period.end
    assert period_for(window, period.start, tz) == period
    following = period_for(window, period.end, tz)
    assert following.start == period.end
    assert following.key > period.key
    assert previous_period(window, period.end, tz) == period
