"""Board definitions, region keys, prize references and split standings (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.errors import ValidationErrors
from gamification.leaderboards.closing import prize_reference
from gamification.leaderboards.definitions import LeaderboardSpec, validate_spec
from gamification.leaderboards.models import LeaderboardMetric, RegionField
from gamification.leaderboards.periods import LeaderboardWindow
from gamification.leaderboards.rebuild import split_by_region
from gamification.leaderboards.regions import normalise_region
from gamification.leaderboards.store import ScoreEntry

W = LeaderboardWindow
T0 = datetime(2026, 1, 15, tzinfo=UTC)


def spec(**changes: object) -> LeaderboardSpec:
    values: dict[str, object] = {
        "code": "spend",
        "name": "Spenders",
        "metric": LeaderboardMetric.AMOUNT_SPENT,
        "windows": (W.WEEKLY,),
        "region_field": None,
        "prize_points": (100,),
    }
    values.update(changes)
    return LeaderboardSpec(**values)  # type: ignore[arg-type]


def fields_at_fault(bad: LeaderboardSpec) -> list[str]:
    with pytest.raises(ValidationErrors) as raised:
        validate_spec(bad)
    return sorted((e.field or ["?"])[-1] for e in raised.value.errors)


def test_a_valid_board_keeps_its_values_and_tidies_its_name() -> None:
    assert validate_spec(spec(name="  Big   spenders ")).name == "Big spenders"


@pytest.mark.parametrize("code", ["", "has space", "brace{", "-leading", "x" * 65, "a:b"])
def test_a_code_must_be_a_plain_key(code: str) -> None:
    assert fields_at_fault(spec(code=code)) == ["code"]


def test_windows_must_be_given_once_each() -> None:
    assert fields_at_fault(spec(windows=())) == ["windows"]
    assert fields_at_fault(spec(windows=(W.DAILY, W.DAILY))) == ["windows"]


def test_prizes_are_bounded_in_ranks_and_points() -> None:
    assert fields_at_fault(spec(prize_points=(-1,))) == ["prizePoints"]
    assert fields_at_fault(spec(prize_points=(1_000_001,))) == ["prizePoints"]
    assert fields_at_fault(spec(prize_points=(1,) * 101)) == ["prizePoints"]


def test_every_fault_is_reported_at_once() -> None:
    assert fields_at_fault(spec(code="", name="", windows=())) == ["code", "name", "windows"]


def test_regions_are_normalised_so_spellings_meet_on_one_board() -> None:
    assert normalise_region(RegionField.COUNTRY, "es") == "ES"
    assert normalise_region(RegionField.CITY, "  New   York ") == "new york"
    assert normalise_region(RegionField.CITY, "MADRID") == normalise_region(
        RegionField.CITY, "madrid"
    )
    assert normalise_region(RegionField.CITY, "  ") is None
    assert normalise_region(RegionField.CITY, "_") is None
    assert normalise_region(RegionField.CITY, None) is None


def test_a_prize_reference_names_board_window_period_region_and_rank() -> None:
    assert (
        prize_reference("spend", "WEEKLY", "2026-W03", None, 1) == "prize:spend:WEEKLY:2026-W03:_:1"
    )
    assert prize_reference("city", "DAILY", "2026-01-15", "madrid", 2) == (
        "prize:city:DAILY:2026-01-15:madrid:2"
    )


def test_scores_go_to_the_board_of_their_members_region() -> None:
    scores = {m: ScoreEntry(m, Decimal(m), T0) for m in (1, 2, 3)}
    assert split_by_region(scores, None) == {None: list(scores.values())}
    assert split_by_region(scores, {1: "ES", 2: "FR"}) == {"ES": [scores[1]], "FR": [scores[2]]}
    assert split_by_region({}, None) == {}
