"""backoff_delay and parse_retry_after: when a push is tried again."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.retry import backoff_delay, parse_retry_after

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    base=st.floats(min_value=0, max_value=60),
    cap=st.floats(min_value=0, max_value=3600),
    seed=st.integers(),
)
def test_the_delay_stays_within_zero_and_the_capped_exponential(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    delay = backoff_delay(attempt, None, base, cap, random.Random(seed))

    assert 0 <= delay <= min(cap, base * 2.0 ** min(attempt, 64))


@given(
    attempt=st.integers(min_value=0, max_value=100),
    retry_after=st.floats(min_value=0, max_value=10_000),
    seed=st.integers(),
)
def test_the_delay_is_never_less_than_retry_after_even_above_the_cap(
    attempt: int, retry_after: float, seed: int
) -> None:
    delay = backoff_delay(attempt, retry_after, 0.5, 60.0, random.Random(seed))

    assert delay >= retry_after
    assert delay <= max(retry_after, 60.0)


def test_the_jitter_is_full_so_early_retries_spread_over_the_whole_window() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(3, None, 1.0, 100.0, rng) for _ in range(2000)]

    assert min(delays) < 0.5
    assert max(delays) > 7.5
    assert 3.5 < sum(delays) / len(delays) < 4.5  # uniform over [0, 8]


def test_the_window_doubles_each_attempt_until_the_cap() -> None:
    rng = random.Random(2)
    ceilings = [max(backoff_delay(n, None, 1.0, 10.0, rng) for _ in range(500)) for n in range(6)]

    assert [round(c) for c in ceilings] == [1, 2, 4, 8, 10, 10]


def test_the_same_seed_gives_the_same_delays() -> None:
    first = [backoff_delay(n, None, 1.0, 30.0, random.Random(5)) for n in range(5)]
    again = [backoff_delay(n, None, 1.0, 30.0, random.Random(5)) for n in range(5)]

    assert first == again


def test_a_huge_attempt_number_is_simply_capped() -> None:
    assert backoff_delay(10**9, None, 1.0, 30.0, random.Random(0)) <= 30.0


@pytest.mark.parametrize(
    ("attempt", "retry_after", "base", "cap"),
    [
        (-1, None, 1.0, 1.0),
        (0, -1.0, 1.0, 1.0),
        (0, None, -1.0, 1.0),
        (0, None, 1.0, -1.0),
        (0, float("inf"), 1.0, 1.0),
        (0, None, float("nan"), 1.0),
    ],
)
def test_negative_or_non_finite_arguments_are_refused(
    attempt: int, retry_after: float | None, base: float, cap: float
) -> None:
    with pytest.raises(ValueError):
        backoff_delay(attempt, retry_after, base, cap, random.Random(0))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Sun, 01 Mar 2026 09:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 08:59:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header, NOW) == seconds
