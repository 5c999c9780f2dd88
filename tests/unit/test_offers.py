"""The recommender as pure computation: weights, determinism, and the offline evaluation on a
small planted program (the same evaluation `fidelio offers evaluate` runs on 20,000 members)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.offers.evaluation import evaluate, planted_program, split
from domain.offers.messages import CATALOGUE
from domain.offers.training import (
    Basis,
    Interaction,
    InteractionKind,
    TrainingParameters,
    effective_factors,
    interaction_weight,
    train,
)

AT = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_model_beats_popularity_by_a_fifth_on_a_small_planted_program() -> None:
    result = evaluate(planted_program(400, seed=3))

    assert result.evaluated > 250
    assert result.model.precision >= 1.2 * result.popular.precision, result.table()
    assert result.model.recall >= 1.2 * result.popular.recall, result.table()


def test_held_out_targets_are_recent_rewards_the_member_had_not_redeemed_before() -> None:
    def redeemed(code: str, days: int) -> Interaction:
        return Interaction(1, f"reward:{code}", InteractionKind.REDEMPTION, AT + timedelta(days))

    train_set, targets = split(
        [redeemed("A", 1), redeemed("B", 2), redeemed("A", 3), redeemed("C", 4)], holdout=2
    )

    assert [i.item for i in train_set] == ["reward:A", "reward:B"]
    assert targets == {1: {"reward:C"}}  # A again is no discovery


def test_an_interaction_weighs_by_its_kind_and_halves_every_half_life() -> None:
    params = TrainingParameters(half_life_days=100)

    assert interaction_weight(InteractionKind.REDEMPTION, 0, params) == 4.0
    assert interaction_weight(InteractionKind.REDEMPTION, 100, params) == pytest.approx(2.0)
    assert interaction_weight(InteractionKind.PURCHASE, 200, params) == pytest.approx(0.25)


def test_factors_never_exceed_a_third_of_the_items() -> None:
    params = TrainingParameters(factors=16)

    assert effective_factors(params, 96) == 16
    assert effective_factors(params, 12) == 4
    assert effective_factors(params, 3) == 2


def test_training_twice_on_the_same_data_gives_the_same_ranking() -> None:
    program = planted_program(120, seed=9)
    params = TrainingParameters(min_members=10)

    first = train(program.interactions, program.groups, program.rewards, params)
    second = train(program.interactions, program.groups, program.rewards, params)

    assert first.basis is Basis.MODEL
    assert first.members == second.members
    assert first.popular == second.popular


def test_reasons_are_said_in_every_language_with_the_same_placeholders() -> None:
    assert CATALOGUE.check() == []
    assert CATALOGUE.text("es-ES", "CATEGORY_OFTEN", item="café") == "Porque sueles comprar café"
