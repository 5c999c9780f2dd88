"""An admin campaign's texts: one per locale, with placeholders filled per recipient.

An admin writes the campaign's base title and body (read by members whose language has no
text of its own) and, optionally, a title and body per locale ("es", "es-MX"). A member reads
the first text found along their locale, its language, the program's default locale and its
language (`domain.translations.Language.chain`), else the base text.

Texts may name `PLACEHOLDERS` in braces, filled per recipient when the campaign goes out:
`{name}`, `{first_name}`, `{points}`, `{tier}`. A placeholder may carry a default for members
without a value, after a bar: `{first_name|there}`. `{{` and `}}` write a brace. Any other
name, a format spec or conversion (`{points:>9}`, `{name!r}`) or an unbalanced brace is
refused with the field at fault: the text is filled by this module, never by `str.format`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from domain.errors import DomainError, InputErrors, InvalidInput
from domain.messages import format_value, language
from domain.translations import Language, normalise_locale
from push.validation import check_text

#: Placeholder -> what it is, as the console lists them.
PLACEHOLDERS: Mapping[str, str] = {
    "name": "The member's display name.",
    "first_name": "The first word of the member's display name.",
    "points": "The member's spendable points balance when the campaign goes out.",
    "tier": "The name of the member's tier, in the member's language.",
}
TITLE_MAX = 100
BODY_MAX = 500
MAX_LOCALES = 30
DEFAULT_MAX = 40


class UnknownPlaceholder(DomainError):
    """A text names a placeholder that is not one of `PLACEHOLDERS`."""

    code = "UNKNOWN_PLACEHOLDER"


@dataclass(frozen=True)
class CampaignText:
    """A campaign's title and body in one locale (as entered)."""

    locale: str
    title: str
    body: str


@dataclass(frozen=True)
class Piece:
    """A parsed text: literal text, or a placeholder with its default (None: none)."""

    literal: str
    placeholder: str | None = None
    default: str | None = None


def parse(text: str, field: list[str]) -> tuple[Piece, ...]:
    """The pieces of a text, or a DomainError on `field`: `UnknownPlaceholder`, or
    `InvalidInput` for a brace left open or a format spec."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(
            "a brace is not closed: write {name}, or {{ and }} for a brace", field
        ) from None
    pieces: list[Piece] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            pieces.append(Piece(literal))
            continue
        key, bar, default = name.partition("|")
        key = key.strip()
        if spec or conversion:
            raise InvalidInput(f"write {{{key}}} without ':' or '!'", field)
        if key not in PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            shown = f"{{{key}}}" if key else "{}"
            raise UnknownPlaceholder(f"{shown} is not a placeholder; use {known}", field)
        if len(default) > DEFAULT_MAX:
            raise InvalidInput(f"a default has at most {DEFAULT_MAX} characters", field)
        pieces.append(Piece(literal, key, default if bar else None))
    return tuple(pieces)


@lru_cache(maxsize=256)
def _pieces(text: str) -> tuple[Piece, ...]:
    """The pieces of a text already checked: parsed once, not once per recipient."""
    return parse(text, [])


def placeholders_of(*texts: str) -> set[str]:
    """The placeholders the (already checked) texts name."""
    return {p.placeholder for t in texts for p in _pieces(t) if p.placeholder}


def fill(text: str, values: Mapping[str, object], locale: str | None) -> str:
    """`text` with its placeholders filled from `values`, numbers written the way the
    reader's language writes them; a placeholder without a value (or an empty one) takes its
    default, else nothing. The text was checked when it was saved."""
    lang = language(locale)
    out: list[str] = []
    for piece in _pieces(text):
        out.append(piece.literal)
        if piece.placeholder is None:
            continue
        value = values.get(piece.placeholder)
        shown = "" if value is None else format_value(value, lang)
        out.append(shown if shown.strip() else (piece.default or ""))
    return "".join(out)


def check_texts(
    title: str, body: str, texts: Sequence[CampaignText], field: list[str], problems: InputErrors
) -> tuple[tuple[str, str], dict[str, dict[str, str]]]:
    """The base title and body and the texts by locale as stored; every problem found goes to
    `problems`, each on its field: `[*field, "title"]`, `[*field, "texts", i, "locale" |
    "title" | "body"]` (a text at fault is stored as "": `problems` is raised before)."""

    def one(value: str, at: list[str], longest: int) -> str:
        checked = problems.check(check_text, value, at, max_length=longest)
        if checked is None or problems.check(parse, checked, at) is None:
            return ""
        return checked

    base = (one(title, [*field, "title"], TITLE_MAX), one(body, [*field, "body"], BODY_MAX))
    stored: dict[str, dict[str, str]] = {}
    if len(texts) > MAX_LOCALES:
        problems.add(InvalidInput(f"at most {MAX_LOCALES} locales", [*field, "texts"]))
    for index, text in enumerate(texts):
        at = [*field, "texts", str(index)]
        locale = problems.check(normalise_locale, text.locale, [*at, "locale"])
        if locale is not None and locale in stored:
            problems.add(InvalidInput(f"'{locale}' is given twice", [*at, "locale"]))
            locale = None
        localized = (
            one(text.title, [*at, "title"], TITLE_MAX),
            one(text.body, [*at, "body"], BODY_MAX),
        )
        if locale is not None:
            stored[locale] = {"title": localized[0], "body": localized[1]}
    return base, dict(sorted(stored.items()))


@dataclass(frozen=True)
class ChosenText:
    """The text a member reads: its locale (None: the base text), title and body, unfilled."""

    locale: str | None
    title: str
    body: str


def choose(
    base: tuple[str, str],
    texts: Mapping[str, Mapping[str, str]],
    member_locale: str | None,
    default_locale: str,
) -> ChosenText:
    """The text for a member's locale: the first along `Language.chain`, else the base."""
    for tag in Language(member_locale, default_locale).chain:
        found = texts.get(tag)
        if found:
            return ChosenText(tag, found["title"], found["body"])
    return ChosenText(None, base[0], base[1])
