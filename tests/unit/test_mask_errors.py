"""Masking of unexpected errors (api.errors.MaskUnexpected) on the result of every request."""

from __future__ import annotations

import cProfile
import pstats
from types import SimpleNamespace

from graphql import ExecutionResult, GraphQLError

from api.errors import MASKED_MESSAGE, MaskUnexpected
from domain.errors import OutOfStock


def test_unexpected_errors_are_masked_and_expected_ones_kept() -> None:
    expected = GraphQLError("Cannot query field 'nope'.")
    domain = GraphQLError("sold out", original_error=OutOfStock("sold out"))
    unexpected = GraphQLError("boom", original_error=ZeroDivisionError("boom"))
    result = ExecutionResult(data=None, errors=[expected, domain, unexpected])
    mask = MaskUnexpected()
    mask.execution_context = SimpleNamespace(context=SimpleNamespace(request_id="r1"))  # type: ignore[assignment]  # what anonymise_error reads
    mask._process_result(result)
    assert result.errors is not None
    assert [e.message for e in result.errors] == [
        "Cannot query field 'nope'.",
        "sold out",
        MASKED_MESSAGE,
    ]
    assert result.errors[2].original_error is None
    assert result.errors[2].extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "r1"}


def test_a_result_without_errors_costs_next_to_nothing() -> None:
    """Every request's result is looked at: one attribute read, not strawberry's isinstance
    against a runtime-checkable protocol (some 50 Python calls)."""
    mask = MaskUnexpected()
    results = [ExecutionResult(data={"x": 1}), ExecutionResult(data={"x": 1}, errors=[]), object()]
    profile = cProfile.Profile()
    profile.enable()
    for result in results:
        mask._process_result(result)
    profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]  # untyped in typeshed
    assert calls <= 3 * len(results), calls
