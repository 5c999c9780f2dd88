"""Campaign texts: placeholders checked when saved and filled per recipient."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from push.campaigns.texts import UnknownPlaceholder, choose, fill, parse, placeholders_of


def test_placeholders_are_filled_with_numbers_in_the_readers_language() -> None:
    values = {"name": "Ana", "first_name": "Ana", "points": 12500, "tier": "Oro"}
    assert fill("{name}: {points} ({tier})", values, "es-MX") == "Ana: 12.500 (Oro)"
    assert fill("{points} {{points}}", values, "en") == "12,500 {points}"


def test_a_placeholder_without_a_value_takes_its_default_or_nothing() -> None:
    assert fill("Hi {first_name|there}!", {"first_name": " "}, "en") == "Hi there!"
    assert fill("Hi {first_name}!", {}, "en") == "Hi !"


@pytest.mark.parametrize(
    "text, error",
    [
        ("{nme}", UnknownPlaceholder),
        ("{}", UnknownPlaceholder),
        ("{0}", UnknownPlaceholder),
        ("{name.__class__}", UnknownPlaceholder),
        ("{name!r}", InvalidInput),
        ("{points:>9}", InvalidInput),
        ("{name", InvalidInput),
        ("}", InvalidInput),
    ],
)
def test_anything_but_a_known_placeholder_is_refused_on_its_field(
    text: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        parse(text, ["input", "body"])
    assert raised.value.field == ["input", "body"]  # type: ignore[attr-defined]


def test_the_text_follows_the_locale_then_its_language_then_the_programs_default() -> None:
    texts = {"es": {"title": "es", "body": ""}, "pt-BR": {"title": "br", "body": ""}}
    base = ("base", "")
    assert choose(base, texts, "es-MX", "en").title == "es"
    assert choose(base, texts, "pt-BR", "en").title == "br"
    assert choose(base, texts, "pt-PT", "en").title == "base"
    assert choose(base, texts, "fr", "es").title == "es"
    assert choose(base, texts, "fr", "en").locale is None
    assert placeholders_of("{name} {points|0}", "{tier}") == {"name", "points", "tier"}
