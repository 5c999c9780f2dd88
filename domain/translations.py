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

from domain.errors import DomainError, InvalidInput, ValidationErrors
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
    errors: list[DomainError] = []
    stored: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    if len(drafts) > MAX_TRANSLATIONS:
        errors.append(InvalidInput(f"at most {MAX_TRANSLATIONS} translations", field))
    for index, draft in enumerate(drafts):
        at = [*field, str(index)]
        locale: str | None = None
        try:
            locale = normalise_locale(draft.locale, [*at, "locale"])
        except DomainError as error:
            errors.append(error)
        if locale is not None and locale in seen:
            errors.append(InvalidInput(f"'{locale}' is given twice", [*at, "locale"]))
            locale = None
        elif locale is not None:
            seen.add(locale)
        name = _text(draft.name, [*at, "name"], name_max, errors, required=True)
        description = ""
        if description_max is None:
            if (draft.description or "").strip():
                errors.append(InvalidInput("this kind has no description", [*at, "description"]))
        else:
            description = _text(
                draft.description or "", [*at, "description"], description_max, errors
            )
        if locale is not None and name:
            texts = {"name": name}
            if description:
                texts["description"] = description
            stored[locale] = texts
    if errors:
        raise ValidationErrors(errors)
    return dict(sorted(stored.items()))


def _text(
    value: str, field: list[str], longest: int, errors: list[DomainError], *, required: bool = False
) -> str:
    """The text trimmed ("" when at fault, the fault added to `errors`)."""
    try:
        return check_text(
            " ".join(value.split()) if required else value,
            field,
            max_length=longest,
            min_length=1 if required else 0,
        )
    except DomainError as error:
        errors.append(error)
        return ""


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
