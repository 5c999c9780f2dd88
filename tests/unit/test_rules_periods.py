from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest

from gamification.rules import Period, Recurrence, period_bounds, period_keys_in_any_zone
from tests.unit.rules_factories import MADRID, NEW_YORK, UTC, at

STARTS = at("2026-01-01 00:00", MADRID)
ENDS = at("2027-01-01 00:00", MADRID)


def bounds(recurrence: Recurrence, now: datetime, tz=MADRID, starts=STARTS, ends=ENDS):  # type: ignore[no-untyped-def]
    return period_bounds(recurrence, starts, ends, now, tz)


def test_a_challenge_without_recurrence_has_one_period_the_whole_challenge() -> None:
    assert bounds(Recurrence.NONE, at("2026-06-15 12:00")) == Period("all", STARTS, ENDS)


@pytest.mark.parametrize("recurrence", list(Recurrence))
def test_there_is_no_period_before_the_start_or_from_the_end_on(recurrence: Recurrence) -> None:
    assert bounds(recurrence, STARTS - timedelta(microseconds=1)) is None
    assert bounds(recurrence, ENDS) is None
    assert bounds(recurrence, ENDS + timedelta(days=3)) is None
    assert bounds(recurrence, STARTS) is not None
    assert bounds(recurrence, ENDS - timedelta(microseconds=1)) is not None


def test_a_daily_period_is_the_members_local_day() -> None:
    period = bounds(Recurrence.DAILY, at("2026-01-14 23:30"))  # 00:30 on the 15th in Madrid

    assert period == Period(
        key="2026-01-15", start=at("2026-01-14 23:00"), end=at("2026-01-15 23:00")
    )


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (MADRID, "2026-03-29", 23),
        (MADRID, "2026-10-25", 25),
        (NEW_YORK, "2026-03-08", 23),
        (NEW_YORK, "2026-11-01", 25),
        (MADRID, "2026-03-28", 24),
    ],
)
def test_a_daily_period_on_a_dst_change_lasts_23_or_25_hours(
    tz,
    day: str,
    hours: int,  # type: ignore[no-untyped-def]
) -> None:
    period = bounds(Recurrence.DAILY, at(f"{day} 12:00", tz), tz=tz)

    assert period is not None
    assert period.key == day
    assert period.start == at(f"{day} 00:00", tz)
    assert period.end - period.start == timedelta(hours=hours)
    following = bounds(Recurrence.DAILY, period.end, tz=tz)
    assert following is not None and following.start == period.end


def test_a_weekly_period_runs_from_monday_to_monday_in_local_time() -> None:
    period = bounds(Recurrence.WEEKLY, at("2026-03-29 22:30", MADRID))  # a Sunday

    assert period == Period(
        key="2026-W13",
        start=at("2026-03-23 00:00", MADRID),
        end=at("2026-03-30 00:00", MADRID),
    )
    assert period.end - period.start == timedelta(days=7, hours=-1)


def test_the_week_of_new_years_day_is_named_by_its_iso_year() -> None:
    challenge_ends = at("2027-06-01 00:00", MADRID)

    period = bounds(Recurrence.WEEKLY, at("2027-01-01 12:00", MADRID), ends=challenge_ends)

    assert period == Period(
        key="2026-W53",
        start=at("2026-12-28 00:00", MADRID),
        end=at("2027-01-04 00:00", MADRID),
    )


def test_a_monthly_period_is_the_local_calendar_month() -> None:
    period = bounds(Recurrence.MONTHLY, at("2026-03-31 22:30"))  # 00:30 on 1 April in Madrid

    assert period == Period(
        key="2026-04", start=at("2026-04-01 00:00", MADRID), end=at("2026-05-01 00:00", MADRID)
    )


def test_a_monthly_period_with_a_dst_change_is_an_hour_short() -> None:
    period = bounds(Recurrence.MONTHLY, at("2026-03-15 12:00", MADRID))

    assert period is not None
    assert period.key == "2026-03"
    assert period.end - period.start == timedelta(days=31, hours=-1)


def test_december_ends_at_the_first_of_january() -> None:
    period = bounds(Recurrence.MONTHLY, at("2026-12-31 23:59", MADRID))

    assert period == Period("2026-12", at("2026-12-01 00:00", MADRID), ENDS)


@pytest.mark.parametrize(
    ("recurrence", "key"),
    [
        (Recurrence.DAILY, "2026-03-10"),
        (Recurrence.WEEKLY, "2026-W11"),
        (Recurrence.MONTHLY, "2026-03"),
    ],
)
def test_the_first_and_last_periods_are_clipped_to_the_challenge(
    recurrence: Recurrence, key: str
) -> None:
    starts = at("2026-03-10 18:00", MADRID)
    ends = at("2026-03-10 20:00", MADRID)

    period = bounds(recurrence, at("2026-03-10 19:00", MADRID), starts=starts, ends=ends)

    assert period == Period(key, starts, ends)


def test_periods_follow_one_another_without_gap_or_overlap() -> None:
    starts = at("2026-03-05 09:00", NEW_YORK)
    ends = at("2026-11-20 17:00", NEW_YORK)
    for recurrence in (Recurrence.DAILY, Recurrence.WEEKLY, Recurrence.MONTHLY):
        keys = []
        moment = starts
        while period := bounds(recurrence, moment, tz=NEW_YORK, starts=starts, ends=ends):
            assert period.start == moment and period.start < period.end
            keys.append(period.key)
            moment = period.end
        assert moment == ends
        assert len(keys) == len(set(keys))


def test_periods_are_given_in_utc() -> None:
    period = bounds(Recurrence.DAILY, at("2026-05-01 12:00", MADRID))

    assert period is not None
    assert period.start.tzinfo == UTC or period.start.utcoffset() == timedelta(0)
    assert period.start == at("2026-04-30 22:00")


def test_periods_need_aware_times() -> None:
    with pytest.raises(ValueError):
        bounds(Recurrence.DAILY, datetime(2026, 5, 1, 12))


@pytest.mark.parametrize("recurrence", list(Recurrence))
def test_the_keys_in_any_zone_hold_the_key_of_every_zone_and_no_other(
    recurrence: Recurrence,
) -> None:
    zones = [ZoneInfo(name) for name in sorted(available_timezones())]
    starts, ends = at("2026-03-01 00:00", UTC), at("2027-03-01 00:00", UTC)
    # two days every 3 hours around Europe's spring DST change and a week's turn, the year's
    # turn (2026-W53, 2027-01), a month's and a week's turn
    instants = [
        moment + timedelta(hours=3 * n)
        for moment in (at("2026-03-28 00:00"), at("2026-12-31 00:00"), at("2027-01-31 00:00"))
        for n in range(16)
    ]
    for now in instants:
        anywhere = period_keys_in_any_zone(recurrence, starts, ends, now)
        found = set()
        for tz in zones:
            period = period_bounds(recurrence, starts, ends, now, tz)
            assert period is not None and period.key in anywhere, (now, tz)
            found.add(period.key)
        assert found == anywhere, now
    assert period_keys_in_any_zone(recurrence, starts, ends, ends) == frozenset()
