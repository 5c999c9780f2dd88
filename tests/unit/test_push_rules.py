"""The rules before a push: preferences, quiet hours in the member's zone, the daily cap."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from push.notifications.models import NotificationCategory
from push.notifications.rules import (
    PushPreferences,
    Verdict,
    decide_push,
    in_quiet_hours,
    local_day_bounds,
    parse_hhmm,
    quiet_hours_end_after,
)

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
NIGHT = PushPreferences(quiet_hours_start=time(22, 0), quiet_hours_end=time(8, 0))
BADGE = NotificationCategory.BADGE


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(21, 59), False),
        (time(22, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_that_cross_midnight_cover_both_sides_of_it(local: time, quiet: bool) -> None:
    assert in_quiet_hours(local, time(22, 0), time(8, 0)) is quiet


def test_quiet_hours_within_one_day_cover_only_their_span() -> None:
    assert in_quiet_hours(time(13, 30), time(13, 0), time(15, 0))
    assert not in_quiet_hours(time(15, 0), time(13, 0), time(15, 0))
    assert not in_quiet_hours(time(12, 59), time(13, 0), time(15, 0))


def test_the_same_utc_instant_is_quiet_in_madrid_and_not_in_new_york() -> None:
    moment = utc(2026, 1, 15, 22, 30)  # 23:30 in Madrid, 17:30 in New York

    in_madrid = decide_push(NIGHT, BADGE, moment, MADRID, {})
    in_new_york = decide_push(NIGHT, BADGE, moment, NEW_YORK, {})

    assert in_madrid.verdict is Verdict.HOLD
    assert in_madrid.at == utc(2026, 1, 16, 7, 0)  # 08:00 in Madrid the next morning
    assert in_madrid.reason == "quiet hours"
    assert in_new_york.verdict is Verdict.PUSH
    assert in_new_york.at == moment


def test_a_push_after_midnight_is_held_until_the_same_mornings_end() -> None:
    moment = utc(2026, 1, 16, 2, 0)  # 03:00 in Madrid

    decision = decide_push(NIGHT, BADGE, moment, MADRID, {})

    assert decision.verdict is Verdict.HOLD
    assert decision.at == utc(2026, 1, 16, 7, 0)


def test_the_end_of_quiet_hours_follows_a_clock_change() -> None:
    # The night Madrid moves to summer time (29 March 2026, 02:00 -> 03:00).
    moment = utc(2026, 3, 28, 23, 0)  # 00:00 local, winter time

    end = quiet_hours_end_after(moment, MADRID, time(22, 0), time(8, 0))

    assert end == utc(2026, 3, 29, 6, 0)  # 08:00 summer time is 06:00 UTC


def test_quiet_hours_ending_in_the_skipped_hour_end_after_the_gap() -> None:
    moment = utc(2026, 3, 29, 0, 30)  # 01:30 local, quiet until 02:30, which never happens

    end = quiet_hours_end_after(moment, MADRID, time(1, 0), time(2, 30))

    assert end == utc(2026, 3, 29, 1, 30)  # 03:30 summer time: half an hour after the gap


def test_outside_quiet_hours_there_is_no_end_to_wait_for() -> None:
    with pytest.raises(ValueError):
        quiet_hours_end_after(utc(2026, 1, 15, 12, 0), MADRID, time(22, 0), time(8, 0))


def test_the_daily_cap_counts_pushes_of_the_members_local_day() -> None:
    prefs = PushPreferences(max_pushes_per_day=2)
    moment = utc(2026, 1, 15, 23, 30)  # already 16 January in Madrid, still the 15th in NY

    capped = decide_push(prefs, BADGE, moment, MADRID, {date(2026, 1, 16): 2})
    not_capped = decide_push(prefs, BADGE, moment, NEW_YORK, {date(2026, 1, 16): 2})

    assert (capped.verdict, capped.reason) == (Verdict.SKIP, "daily cap")
    assert not_capped.verdict is Verdict.PUSH


def test_a_held_push_counts_toward_the_day_it_will_go_out() -> None:
    prefs = PushPreferences(
        quiet_hours_start=time(22, 0), quiet_hours_end=time(8, 0), max_pushes_per_day=1
    )
    tonight = utc(2026, 1, 15, 22, 0)  # 23:00 in Madrid: held until the 16th

    full_today = decide_push(prefs, BADGE, tonight, MADRID, {date(2026, 1, 15): 1})
    full_tomorrow = decide_push(prefs, BADGE, tonight, MADRID, {date(2026, 1, 16): 1})

    assert full_today.verdict is Verdict.HOLD
    assert (full_tomorrow.verdict, full_tomorrow.reason) == (Verdict.SKIP, "daily cap")


def test_push_disabled_or_a_category_opted_out_keeps_the_notification_in_the_feed_only() -> None:
    moment = utc(2026, 1, 15, 12, 0)
    off = decide_push(PushPreferences(push_enabled=False), BADGE, moment, MADRID, {})
    opted_out = decide_push(
        PushPreferences(categories=frozenset({NotificationCategory.DROP})),
        BADGE,
        moment,
        MADRID,
        {},
    )

    assert (off.verdict, off.reason) == (Verdict.SKIP, "push disabled")
    assert (opted_out.verdict, opted_out.reason) == (Verdict.SKIP, "category off")


def test_a_cap_of_zero_means_no_pushes_at_all() -> None:
    decision = decide_push(
        PushPreferences(max_pushes_per_day=0), BADGE, utc(2026, 1, 15, 12), MADRID, {}
    )
    assert decision.verdict is Verdict.SKIP


def test_a_local_day_is_23_hours_long_when_clocks_go_forward() -> None:
    start, end = local_day_bounds(utc(2026, 3, 29, 12, 0), MADRID)

    assert start == utc(2026, 3, 28, 23, 0)
    assert end == utc(2026, 3, 29, 22, 0)


@pytest.mark.parametrize("text", ["24:00", "7:30", "07:60", "0730", "", "07:30 "])
def test_only_24_hour_hh_mm_times_parse(text: str) -> None:
    assert parse_hhmm(text) is None


def test_a_well_formed_time_parses() -> None:
    assert parse_hhmm("07:05") == time(7, 5)
    assert parse_hhmm("23:59") == time(23, 59)
