from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from gamification.rules import Aggregate, EventKind, Rule, current_value
from tests.unit.rules_factories import MADRID, NEW_YORK, UTC, apply_all, at, purchase

DAILY = Rule(EventKind.PURCHASE, Aggregate.STREAK_DAYS, 7)
WEEKLY = Rule(EventKind.PURCHASE, Aggregate.STREAK_WEEKS, 4)
DISTINCT_DAYS = Rule(EventKind.PURCHASE, Aggregate.DISTINCT_DAYS, 7)


def purchases_at(*moments: str, tz: ZoneInfo = UTC) -> list:  # type: ignore[type-arg]
    return [purchase(at(moment, tz)) for moment in moments]


def streak(rule: Rule, moments: list, now: str, tz: ZoneInfo) -> float:  # type: ignore[type-arg]
    return current_value(rule, apply_all(rule, moments, tz), at(now, tz), tz)


def test_a_daily_streak_counts_consecutive_days_ending_today() -> None:
    events = purchases_at("2026-01-10 10:00", "2026-01-11 22:00", "2026-01-12 08:00")

    assert streak(DAILY, events, "2026-01-12 20:00", UTC) == 3


def test_a_daily_streak_stays_alive_while_today_is_not_yet_done() -> None:
    events = purchases_at("2026-01-10 10:00", "2026-01-11 22:00")

    assert streak(DAILY, events, "2026-01-12 23:59", UTC) == 2


def test_a_daily_streak_whose_last_day_is_before_yesterday_is_broken() -> None:
    events = purchases_at("2026-01-10 10:00", "2026-01-11 22:00")

    assert streak(DAILY, events, "2026-01-13 00:00", UTC) == 0


def test_a_missed_day_starts_the_streak_again() -> None:
    events = purchases_at(
        "2026-01-08 10:00", "2026-01-09 10:00", "2026-01-11 10:00", "2026-01-12 10:00"
    )

    assert streak(DAILY, events, "2026-01-12 20:00", UTC) == 2


def test_a_late_event_filling_the_missed_day_joins_the_two_runs() -> None:
    events = purchases_at(
        "2026-01-08 10:00", "2026-01-09 10:00", "2026-01-11 10:00", "2026-01-12 10:00"
    )
    late = purchases_at("2026-01-10 10:00")

    assert streak(DAILY, [*events, *late], "2026-01-12 20:00", UTC) == 5


def test_many_purchases_on_one_day_count_as_one_day_of_the_streak() -> None:
    events = purchases_at("2026-01-11 08:00", "2026-01-11 12:00", "2026-01-12 09:00")

    assert streak(DAILY, events, "2026-01-12 20:00", UTC) == 2


def test_days_are_the_members_local_days_not_utc_days() -> None:
    # 23:30 UTC on the 10th is 00:30 on the 11th in Madrid (UTC+1 in winter).
    events = purchases_at("2026-01-10 23:30", "2026-01-11 12:00")

    assert streak(DAILY, events, "2026-01-11 20:00", UTC) == 2
    assert streak(DAILY, events, "2026-01-11 20:00", MADRID) == 1
    assert streak(DISTINCT_DAYS, events, "2026-01-11 20:00", UTC) == 2
    assert streak(DISTINCT_DAYS, events, "2026-01-11 20:00", MADRID) == 1


def test_a_purchase_at_half_past_eleven_in_madrid_is_on_another_day_in_utc() -> None:
    # 23:30 in Madrid on the 10th is 22:30 UTC the same day; 00:30 on the 12th in Madrid is
    # still the 11th in UTC: in Madrid the days are the 10th and the 12th, a broken streak.
    events = purchases_at("2026-01-10 23:30", "2026-01-12 00:30", tz=MADRID)

    assert streak(DAILY, events, "2026-01-12 10:00", MADRID) == 1
    assert streak(DAILY, events, "2026-01-11 23:59", UTC) == 2


DST_CHANGES = [
    pytest.param(MADRID, "2026-03-29", id="Madrid spring forward"),
    pytest.param(MADRID, "2026-10-25", id="Madrid fall back"),
    pytest.param(NEW_YORK, "2026-03-08", id="New York spring forward"),
    pytest.param(NEW_YORK, "2026-11-01", id="New York fall back"),
]


def local_day(day: str, offset: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=offset)).isoformat()


@pytest.mark.parametrize(("tz", "change"), DST_CHANGES)
@pytest.mark.parametrize("clock", ["00:15", "01:30", "02:30", "12:00", "23:45"])
def test_a_daily_streak_across_a_dst_change_is_neither_broken_nor_doubled(
    tz: ZoneInfo, change: str, clock: str
) -> None:
    days = [local_day(change, offset) for offset in (-2, -1, 0, 1, 2)]
    events = purchases_at(*(f"{day} {clock}" for day in days), tz=tz)

    assert streak(DAILY, events, f"{days[-1]} 23:59", tz) == 5
    assert streak(DAILY, events, f"{local_day(change, 3)} 23:59", tz) == 5
    assert streak(DAILY, events, f"{local_day(change, 4)} 00:00", tz) == 0
    assert streak(DISTINCT_DAYS, events, f"{days[-1]} 23:59", tz) == 5


@pytest.mark.parametrize(("tz", "change"), DST_CHANGES)
def test_the_first_and_last_minute_of_a_dst_day_are_the_same_day(tz: ZoneInfo, change: str) -> None:
    events = purchases_at(f"{change} 00:00", f"{change} 23:59", tz=tz)

    assert streak(DISTINCT_DAYS, events, f"{change} 23:59", tz) == 1
    assert streak(DAILY, events, f"{change} 23:59", tz) == 1


def test_both_halves_of_the_repeated_hour_in_autumn_are_the_same_day() -> None:
    # 2026-10-25 02:30 happens twice in Madrid: at UTC+2 (fold 0), then at UTC+1 (fold 1).
    events = [
        purchase(at("2026-10-24 23:30", MADRID)),
        purchase(at("2026-10-25 02:30", MADRID, fold=0)),
        purchase(at("2026-10-25 02:30", MADRID, fold=1)),
        purchase(at("2026-10-26 00:30", MADRID)),
    ]
    assert events[1].occurred_at + timedelta(hours=1) == events[2].occurred_at

    assert streak(DAILY, events, "2026-10-26 12:00", MADRID) == 3
    assert streak(DISTINCT_DAYS, events, "2026-10-26 12:00", MADRID) == 3


def test_a_weekly_streak_counts_consecutive_iso_weeks_ending_this_week() -> None:
    # Mondays 5, 12, 19 January 2026; the last purchase is on a Sunday.
    events = purchases_at("2026-01-05 10:00", "2026-01-14 10:00", "2026-01-25 23:00")

    assert streak(WEEKLY, events, "2026-01-25 23:30", UTC) == 3
    assert streak(WEEKLY, events, "2026-02-01 23:59", UTC) == 3  # this week not yet done
    assert streak(WEEKLY, events, "2026-02-02 00:00", UTC) == 0  # a whole week missed


def test_a_missed_week_breaks_a_weekly_streak() -> None:
    events = purchases_at("2026-01-05 10:00", "2026-01-21 10:00", "2026-01-26 10:00")

    assert streak(WEEKLY, events, "2026-01-27 10:00", UTC) == 2


@pytest.mark.parametrize(
    ("moments", "now"),
    [
        pytest.param(
            ["2026-12-23 10:00", "2027-01-01 10:00", "2027-01-06 10:00"],
            "2027-01-06 12:00",
            id="2026-W52, 2026-W53 (on 1 January), 2027-W01",
        ),
        pytest.param(
            ["2020-12-21 10:00", "2020-12-28 10:00", "2021-01-04 10:00"],
            "2021-01-04 12:00",
            id="2020-W52, 2020-W53, 2021-W01",
        ),
        pytest.param(
            ["2025-12-22 10:00", "2025-12-29 10:00", "2026-01-05 10:00"],
            "2026-01-05 12:00",
            id="2025-W52, 2026-W01 (from 29 December), 2026-W02",
        ),
    ],
)
def test_a_weekly_streak_runs_on_across_the_end_of_the_year(moments: list[str], now: str) -> None:
    assert streak(WEEKLY, purchases_at(*moments), now, UTC) == 3


def test_week_53_followed_by_a_purchase_in_the_same_week_of_the_new_year_is_one_week() -> None:
    # Monday 28 December 2026 and Sunday 3 January 2027 are both in 2026-W53.
    events = purchases_at("2026-12-28 10:00", "2027-01-03 10:00")

    assert streak(WEEKLY, events, "2027-01-03 12:00", UTC) == 1


def test_weeks_are_the_members_local_weeks() -> None:
    # Sunday 11 January 23:30 in New York is Monday 04:30 UTC: last week for the member.
    events = purchases_at("2026-01-11 23:30", "2026-01-12 10:00", tz=NEW_YORK)

    assert streak(WEEKLY, events, "2026-01-12 12:00", NEW_YORK) == 2
    assert streak(WEEKLY, events, "2026-01-12 17:00", UTC) == 1


def test_a_weekly_streak_across_a_dst_change_is_neither_broken_nor_doubled() -> None:
    # Saturday night before the change, Sunday of the change, and the Monday after.
    events = purchases_at("2026-03-28 23:30", "2026-03-29 23:30", "2026-03-30 00:30", tz=MADRID)

    assert streak(WEEKLY, events, "2026-03-30 12:00", MADRID) == 2


def test_a_long_daily_streak_is_kept_as_one_run() -> None:
    start = at("2025-01-01 12:00", MADRID)
    rule = DAILY
    state = apply_all(rule, [purchase(start + timedelta(days=d)) for d in range(400)], MADRID)

    assert len(state.runs) == 1
    assert current_value(rule, state, start + timedelta(days=400), MADRID) == 400
