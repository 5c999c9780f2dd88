"""One way to collect every problem of an input: `domain.errors.InputErrors`."""

from __future__ import annotations

import pytest

from domain.errors import InputErrors, InvalidInput, NotFound, ValidationErrors


def at_most_three(value: int, field: list[str]) -> int:
    if value > 3:
        raise InvalidInput("at most 3", field)
    return value


def both_wrong(field: list[str]) -> None:
    raise ValidationErrors([InvalidInput("first", [*field, "0"]), NotFound("second", field)])


def test_every_problem_is_reported_in_the_order_found_each_with_its_code_and_field() -> None:
    problems = InputErrors()

    assert problems.check(at_most_three, 2, ["input", "a"]) == 2
    assert problems.check(at_most_three, 5, ["input", "b"]) is None
    problems.check(both_wrong, ["input", "c"])
    problems.add(NotFound("no such store", ["input", "storeCode"]))

    with pytest.raises(ValidationErrors) as raised:
        problems.raise_any()
    assert [(e.code, e.field, e.message) for e in raised.value.errors] == [
        ("INVALID_INPUT", ["input", "b"], "at most 3"),
        ("INVALID_INPUT", ["input", "c", "0"], "first"),
        ("NOT_FOUND", ["input", "c"], "second"),
        ("NOT_FOUND", ["input", "storeCode"], "no such store"),
    ]


def test_an_input_without_problems_raises_nothing() -> None:
    problems = InputErrors()
    problems.check(at_most_three, 1, ["input", "a"])
    problems.raise_any()
    assert problems.errors == []
