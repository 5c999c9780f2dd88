"""How answers are written: orjson, with the standard library for what orjson refuses."""

from __future__ import annotations

import json

import pytest

from api.request_body import encode_answer


@pytest.mark.parametrize(
    "value",
    [
        {"data": {"me": {"displayName": "Zoë", "points": 12, "rarity": 0.25, "tier": None}}},
        {"data": None, "errors": [{"message": "x", "path": ["a", 0], "extensions": {}}]},
        {"data": {"n": 2**31 - 1, "f": 1e16, "ok": True, "list": []}},
    ],
)
def test_the_same_value_as_the_standard_library(value: object) -> None:
    written = encode_answer(value)
    assert isinstance(written, str)
    assert json.loads(written) == value
    assert " " not in written.replace("Zoë", "")  # compact, as strawberry writes it


def test_text_is_written_as_utf8_not_escaped() -> None:
    assert encode_answer({"name": "Zoë"}) == '{"name":"Zoë"}'


@pytest.mark.parametrize(
    "value",
    [
        {"message": "Syntax Error: Unexpected '\ud800'."},  # a lone surrogate echoed back
        {"big": 2**70},  # beyond 64 bits
        {1: "a key that is not a string"},
    ],
)
def test_what_orjson_refuses_is_written_by_the_standard_library(value: object) -> None:
    assert encode_answer(value) == json.dumps(value, separators=(",", ":"))
