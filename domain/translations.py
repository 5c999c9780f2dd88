"""Catalogue content in the member's language: names and descriptions entered per locale.

Rewards, badges, challenges, drops and tiers keep, beside their base name and description,
a `translations` column: `{locale: {"name": ..., "description": ...}}` (a challenge's or a
drop's title is its "name"). The column rides in the row every catalogue already reads, so
a screen reads its translations in the statement it sends anyway, and a translation change
is a change of the row: it bumps the version the row's catalogue is kept by.

A reader sees the first text found along `Language.chain`: their locale ("es-MX"), its
language ("es"), the program's default locale and its language, then the base text. Each
field falls back on its own, so a translation may give a name only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry

from domain.errors import InputErrors, InvalidInput
from domain.members.validation import check_text

#: locale -> {"name": text, "description": text}, as stored.
Translations = Mapping[str, Mapping[str, str]]

LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|\d{3}))?$")
MAX_TRANSLATIONS = 50


@dataclass(frozen=True)
class TranslationDraft:
    """What an admin enters for one locale."""

    locale: str
    name: str
    description: str | None = None


def normalise_locale(value: str, field: list[str]) -> str:
    """A BCP 47 tag of a language (ISO 639) and an optional region (ISO 3166-1 alpha-2 or a
    UN M49 number): "es_mx" -> "es-MX". Raises `InvalidInput` for anything else."""
    match = LOCALE.match(value.strip())
    if match is None or not _known_language(match.group(1).lower()):
        raise InvalidInput("not a locale such as 'es' or 'es-MX'", field)
    language, region = match.group(1).lower(), match.group(2)
    if region is None:
        return language
    if region.isalpha():
        region = region.upper()
        if pycountry.countries.get(alpha_2=region) is None:
            raise InvalidInput(f"'{region}' is not an ISO 3166-1 country", field)
    return f"{language}-{region}"


@lru_cache(maxsize=512)
def _known_language(code: str) -> bool:
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    return pycountry.languages.get(alpha_3=code) is not None


def validate_translations(
    drafts: Sequence[TranslationDraft],
    field: list[str],
    *,
    name_max: int,
    description_max: int | None,
) -> dict[str, dict[str, str]]:
    """The translations as stored, or `ValidationErrors` naming each input at fault
    (`[*field, index, "locale" | "name" | "description"]`): a locale that is not one or is
    given twice, a blank or long name, a long description, or a description where the kind
    has none (`description_max` None: tiers)."""
    problems = InputErrors()
    stored: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    if len(drafts) > MAX_TRANSLATIONS:
        problems.add(InvalidInput(f"at most {MAX_TRANSLATIONS} translations", field))
    for index, draft in enumerate(drafts):
        at = [*field, str(index)]
        locale = problems.check(normalise_locale, draft.locale, [*at, "locale"])
        if locale is not None and locale in seen:
            problems.add(InvalidInput(f"'{locale}' is given twice", [*at, "locale"]))
            locale = None
        elif locale is not None:
            seen.add(locale)
        name = problems.check(_text, draft.name, [*at, "name"], name_max, required=True) or ""
        description = ""
        if description_max is None:
            if (draft.description or "").strip():
                problems.add(InvalidInput("this kind has no description", [*at, "description"]))
        else:
            description = (
                problems.check(
                    _text, draft.description or "", [*at, "description"], description_max
                )
                or ""
            )
        if locale is not None and name:
            texts = {"name": name}
            if description:
                texts["description"] = description
            stored[locale] = texts
    problems.raise_any()
    return dict(sorted(stored.items()))


def _text(value: str, field: list[str], longest: int, *, required: bool = False) -> str:
    """The text trimmed (a required one with its spaces collapsed). Raises `InvalidInput`."""
    return check_text(
        " ".join(value.split()) if required else value,
        field,
        max_length=longest,
        min_length=1 if required else 0,
    )


def _tag(locale: str | None) -> str | None:
    """A reader's locale as stored tags are written ("es_mx" -> "es-MX"); None if unusable."""
    if not locale:
        return None
    match = LOCALE.match(locale.strip())
    if match is None:
        return None
    language, region = match.group(1).lower(), match.group(2)
    return language if region is None else f"{language}-{region.upper()}"


@dataclass(frozen=True)
class Language:
    """The language a reader reads catalogue content in: their locale (None: not a member)
    and the program's default locale."""

    locale: str | None
    default_locale: str

    @property
    def chain(self) -> tuple[str, ...]:
        """The locales looked up, in order: the reader's, its language, the default's."""
        return _chain(self.locale, self.default_locale)

    def text(self, translations: Any, key: str, base: str) -> str:
        """The `key` ("name" or "description") of a row in this language: the first
        translation along `chain` that has it, else the base text."""
        if translations:
            for tag in self.chain:
                found = translations.get(tag)
                if found and found.get(key):
                    return str(found[key])
        return base


@lru_cache(maxsize=1024)
def _chain(locale: str | None, default_locale: str) -> tuple[str, ...]:
    tags: list[str] = []
    for given in (locale, default_locale):
        tag = _tag(given)
        if tag is None:
            continue
        for candidate in (tag, tag.partition("-")[0]):
            if candidate not in tags:
                tags.append(candidate)
    return tuple(tags)
