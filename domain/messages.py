"""What members read, in their language: the one mechanism every area's texts go through.

A member's `locale` ("es-MX", "en_GB") picks a supported language by its first part; anything
else reads English. The texts are data, one file per language (`domain/locales/en.toml`,
`es.toml`, ...), read once: a table per area (`[drops]`, `[rewards]`, `[notifications.*]`,
`[rules]`...) of `key = "text with {placeholders}"`. `CATALOGUE` holds them all as dotted
keys ("drops.min_tier"); `CATALOGUE.area("drops")` is one area's part. A key missing in a
language falls back to its English text, and `check` (run by the tests) makes sure every
language has the same keys and placeholders as English. Numbers and dates are written the way
the language writes them.

Adding a language is adding its file beside `en.toml` and its month names below.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

DEFAULT_LANGUAGE = "en"

MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "es": (
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ),
}  # fmt: skip

#: The languages members can read, English first.
LANGUAGES = tuple(MONTHS)


def language(locale: str | None) -> str:
    """The supported language of a locale: "es-ES" and "es_MX" -> "es"; English otherwise."""
    lang = (locale or "").strip().replace("_", "-").split("-")[0].lower()
    return lang if lang in MONTHS else DEFAULT_LANGUAGE


def format_number(value: int, lang: str) -> str:
    """1250 -> "1,250" in English; Spanish groups with "." from five digits on ("1250",
    "12.500"), as the RAE recommends."""
    if lang == "es":
        return f"{value:,}".replace(",", ".") if abs(value) >= 10_000 else str(value)
    return f"{value:,}"


def format_date(value: date, lang: str) -> str:
    """ "March 4" / "4 de marzo"."""
    month = MONTHS[lang][value.month - 1]
    return f"{value.day} de {month}" if lang == "es" else f"{month} {value.day}"


def format_value(value: object, lang: str) -> str:
    """A placeholder's value as the language writes it: ints as numbers, dates (and datetimes,
    already in the reader's time zone) as dates, anything else as its text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_number(value, lang)
    if isinstance(value, datetime):
        return format_date(value.date(), lang)
    if isinstance(value, date):
        return format_date(value, lang)
    return str(value)


class Catalogue:
    """One area's texts per language. `text(locale, key, **values)` fills the text of `key`
    in the locale's language (English when that language lacks it). Raises KeyError for a key
    English does not have or a placeholder without a value."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        self.texts = texts

    def text(self, locale: str | None, key: str, **values: object) -> str:
        lang = language(locale)
        raw = self.template(lang, key)
        return raw.format_map({name: format_value(v, lang) for name, v in values.items()})

    def template(self, locale: str | None, key: str) -> str:
        """The text of `key` in the locale's language, placeholders unfilled (English when
        that language lacks it). Raises KeyError for a key English does not have."""
        english = self.texts[DEFAULT_LANGUAGE][key]
        return self.texts.get(language(locale), {}).get(key, english)

    def area(self, name: str) -> Catalogue:
        """The part of the catalogue under `name` ("drops", "notifications.birthday"), its keys
        without that prefix."""
        prefix = f"{name}."
        return Catalogue(
            {
                lang: {k.removeprefix(prefix): v for k, v in texts.items() if k.startswith(prefix)}
                for lang, texts in self.texts.items()
            }
        )

    def check(self) -> list[str]:
        """What is wrong with the catalogue: languages not supported, keys other than
        English's, placeholders unlike English's (empty when all is well)."""
        problems: list[str] = []
        english = self.texts[DEFAULT_LANGUAGE]
        for lang, texts in self.texts.items():
            if lang not in LANGUAGES:
                problems.append(f"{lang}: not a supported language")
            for key in sorted(set(english) ^ set(texts)):
                problems.append(f"{lang}: {key} is missing or unknown to English")
            for key in sorted(set(english) & set(texts)):
                if placeholders(texts[key]) != placeholders(english[key]):
                    problems.append(f"{lang}: {key} has other placeholders than in English")
        return problems


def placeholders(text: str) -> set[str]:
    """The names of the `{placeholders}` of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


#: Where the texts live: one file per language, named by the language.
LOCALES = Path(__file__).with_name("locales")


def load(folder: Path = LOCALES) -> Catalogue:
    """Every `<language>.toml` of `folder`, its tables flattened to dotted keys
    (`[drops] min_tier = "..."` -> "drops.min_tier"). Raises ValueError for a value that is not
    a text."""
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as file:
            texts[path.stem] = _flatten(tomllib.load(file), "", path)
    return Catalogue(texts)


def _flatten(table: Mapping[str, object], prefix: str, path: Path) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}.", path))
        elif isinstance(value, str):
            flat[f"{prefix}{key}"] = value
        else:
            raise ValueError(f"{path.name}: {prefix}{key} is not a text")
    return flat


#: Every text of every language, read once.
CATALOGUE = load()
