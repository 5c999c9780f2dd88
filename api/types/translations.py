"""GraphQL types of catalogue content per locale: what admins enter, what everyone reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry

from domain.translations import TranslationDraft


@strawberry.input(
    description="A name and description in one locale. Members whose locale (or its "
    "language) matches read these instead of the base texts."
)
class TranslationInput:
    locale: str = strawberry.field(
        description="A language (ISO 639), optionally with a region (ISO 3166-1 alpha-2 or a "
        "UN M49 number): 'es', 'es-MX', 'pt-BR', 'es-419'."
    )
    name: str = strawberry.field(
        description="The name (a challenge's or a drop's title) in that locale."
    )
    description: str | None = strawberry.field(
        default=None,
        description="The description in that locale; null or empty: the fallback's. Tiers "
        "have none.",
    )


def drafts(given: Sequence[TranslationInput] | None) -> tuple[TranslationDraft, ...] | None:
    """The input's translations for the domain; None (not sent) keeps those entered before."""
    if given is None:
        return None
    return tuple(TranslationDraft(t.locale, t.name, t.description) for t in given)


@strawberry.type(description="A name and description entered for one locale.")
class Translation:
    locale: str = strawberry.field(description="The locale, e.g. 'es' or 'es-MX'.")
    name: str = strawberry.field(description="The name (a challenge's or a drop's title).")
    description: str | None = strawberry.field(
        description="The description; null when none was entered for this locale."
    )


def translations_of(stored: Any) -> list[Translation]:
    """Every translation of a row, by locale."""
    return [
        Translation(locale=locale, name=texts["name"], description=texts.get("description"))
        for locale, texts in sorted((stored or {}).items())
    ]
