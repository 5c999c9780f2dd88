"""Catalogue texts per locale (domain.translations): locale rules, the fallback chain, and
what an admin's translations must look like."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput, ValidationErrors
from domain.translations import Language, TranslationDraft, normalise_locale, validate_translations

STORED = {
    "es": {"name": "Café", "description": "Un café."},
    "es-MX": {"name": "Cafecito"},
    "en": {"name": "Coffee", "description": "A coffee."},
}


@pytest.mark.parametrize(
    ("given", "tag"),
    [("es", "es"), ("ES", "es"), ("es_mx", "es-MX"), ("pt-BR", "pt-BR"), ("es-419", "es-419"),
     ("fil", "fil"), (" fr ", "fr")],
)  # fmt: skip
def test_locales_are_written_as_tags(given: str, tag: str) -> None:
    assert normalise_locale(given, ["locale"]) == tag


@pytest.mark.parametrize("given", ["", "e", "xx", "spanish", "es-ZZ", "es-M", "es-MXX", "es-12"])
def test_what_is_not_a_locale_is_refused_naming_the_field(given: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_locale(given, ["input", "locale"])
    assert refused.value.field == ["input", "locale"]


def test_a_reader_gets_their_locale_then_its_language_then_the_default_then_the_base() -> None:
    assert Language("es-MX", "en").text(STORED, "name", "Base") == "Cafecito"
    # es-MX has no description: its language's
    assert Language("es-MX", "en").text(STORED, "description", "Base") == "Un café."
    assert Language("es_ES", "en").text(STORED, "name", "Base") == "Café"
    assert Language("de-DE", "en").text(STORED, "name", "Base") == "Coffee"
    assert Language(None, "en-GB").text(STORED, "name", "Base") == "Coffee"
    assert Language("de", "fr").text(STORED, "name", "Base") == "Base"
    assert Language("es", "en").text({}, "name", "Base") == "Base"
    assert Language("not a locale!", "en").chain == ("en",)


def test_the_chain_lists_each_locale_once() -> None:
    assert Language("en-GB", "en").chain == ("en-GB", "en")
    assert Language("es-MX", "es-ES").chain == ("es-MX", "es", "es-ES")


def test_translations_are_stored_by_tag_with_trimmed_texts() -> None:
    stored = validate_translations(
        [
            TranslationDraft("es_mx", "  Café   de  olla ", " Rico. "),
            TranslationDraft("fr", "Café", None),
        ],
        ["input", "translations"],
        name_max=120,
        description_max=500,
    )
    assert stored == {
        "es-MX": {"name": "Café de olla", "description": "Rico."},
        "fr": {"name": "Café"},
    }


def test_every_problem_of_the_translations_is_named_at_once() -> None:
    with pytest.raises(ValidationErrors) as refused:
        validate_translations(
            [
                TranslationDraft("xx", "Name"),
                TranslationDraft("es", ""),
                TranslationDraft("ES", "Otro"),
                TranslationDraft("fr", "Nom", "Une description"),
            ],
            ["input", "translations"],
            name_max=80,
            description_max=None,
        )
    assert [e.field for e in refused.value.errors] == [
        ["input", "translations", "0", "locale"],
        ["input", "translations", "1", "name"],
        ["input", "translations", "2", "locale"],
        ["input", "translations", "3", "description"],
    ]
