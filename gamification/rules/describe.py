"""A rule in words, for members: "Make 3 purchases in the shoes category within 30 days".

The words are data: the `[rules]` texts of the locale files (`domain/locales/*.toml`), in the
language of the member's locale (`domain.messages`: Spanish for "es", "es-ES", "es_MX"...,
English otherwise). `describe` only picks and joins them, so a language is added as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType

from domain.messages import CATALOGUE, DEFAULT_LANGUAGE, language
from gamification.rules.kinds import Aggregate, Channel, EventKind
from gamification.rules.rule import Rule

# Spanish-speaking countries that write 12.50 rather than 12,50 (and the US).
DECIMAL_POINT_REGIONS = frozenset({"MX", "US", "PR", "DO", "GT", "HN", "NI", "SV", "PA"})


@dataclass(frozen=True)
class Phrasebook:
    """The rules' texts in one language (English where it lacks one), and how it writes
    numbers."""

    texts: Mapping[str, str]
    decimal_mark: str
    group_mark: str

    def phrase(self, key: str, **values: str) -> str:
        """The text of `key` with its placeholders filled."""
        return self.texts[key].format_map(values)

    def counted(self, key: str, one: bool, **values: str) -> str:
        """The singular (`one`) or plural form of `key`."""
        return self.phrase(f"{key}.{'one' if one else 'other'}", **values)


def _phrasebook(lang: str) -> Phrasebook:
    rules = CATALOGUE.area("rules").texts
    texts = MappingProxyType({**rules[DEFAULT_LANGUAGE], **rules[lang]})
    return Phrasebook(texts, texts["decimal_mark"], texts["group_mark"])


#: Per language, read once from the locale files.
PHRASEBOOKS = {lang: _phrasebook(lang) for lang in CATALOGUE.texts}


def describe(rule: Rule, locale: str) -> str:
    """The rule in words in the language of `locale`: Spanish for "es", "es-ES", "es_MX"...,
    English for anything else. Covers every aggregate, event kind, filter and window."""
    book = phrasebook(locale)
    target = Decimal(str(rule.target))
    n = _number(target, book)
    one = target == 1
    qualifiers = _qualifiers(rule, book)
    place = _place(rule, book, count=rule.aggregate is Aggregate.COUNT)
    match rule.aggregate:
        case Aggregate.COUNT:
            text = book.counted(f"count.{rule.event.name}", one, n=n, place=place) + qualifiers
        case Aggregate.SUM_AMOUNT:
            text = book.phrase("spend", n=n) + qualifiers
        case Aggregate.SUM_POINTS:
            source = book.phrase(f"points_source.{rule.event.name}")
            text = book.counted("points", one, n=n, source=source) + qualifiers
        case Aggregate.DISTINCT_CATEGORIES:
            text = book.counted("distinct_categories", one, n=n) + qualifiers
        case _:
            times = {
                Aggregate.DISTINCT_DAYS: "distinct_days",
                Aggregate.STREAK_DAYS: "streak_days",
                Aggregate.STREAK_WEEKS: "streak_weeks",
            }[rule.aggregate]
            text = _join(_activity(rule, book, place) + qualifiers, book.counted(times, one, n=n))
    if rule.window_days is not None and rule.aggregate not in (
        Aggregate.STREAK_DAYS,
        Aggregate.STREAK_WEEKS,
    ):
        days = _number(Decimal(rule.window_days), book)
        text += " " + book.counted("window", rule.window_days == 1, n=days)
    return text


def phrasebook(locale: str) -> Phrasebook:
    """The phrasebook for a locale such as "es", "es-ES", "es_MX" or "en-GB"."""
    book = PHRASEBOOKS[language(locale)]
    _, _, region = re.sub("[-_]", "-", locale.strip()).partition("-")
    if region[:2].upper() in DECIMAL_POINT_REGIONS and book.decimal_mark != ".":
        return replace(book, decimal_mark=".")
    return book


def _activity(rule: Rule, book: Phrasebook, place: str) -> str:
    if rule.event == EventKind.PURCHASE and rule.min_amount is not None:
        return book.phrase("purchase_with_minimum")
    return book.phrase(f"activity.{rule.event.name}", place=place)


def _place(rule: Rule, book: Phrasebook, *, count: bool) -> str:
    if rule.store_code is not None:
        return book.phrase("visit_store", s=rule.store_code)
    return book.phrase("visit_any_store" if count else "visit_one_store")


def _qualifiers(rule: Rule, book: Phrasebook) -> str:
    """The filters, as words following the main phrase (each after a space)."""
    parts = []
    if rule.min_amount is not None:
        key = {
            Aggregate.SUM_AMOUNT: "minimum_spent",
            Aggregate.DISTINCT_CATEGORIES: "minimum_categories",
        }.get(rule.aggregate, "minimum")
        parts.append(book.phrase(key, m=_number(rule.min_amount, book)))
    if rule.category is not None:
        key = "category_spent" if rule.aggregate is Aggregate.SUM_AMOUNT else "category"
        parts.append(book.phrase(key, c=rule.category))
    if rule.channel is not None and not (
        rule.channel is Channel.STORE and rule.store_code is not None
    ):
        parts.append(book.phrase(f"channel.{Channel(rule.channel).name}"))
    # A store visit names its store in the verb phrase ("Visit store MAD-01").
    if rule.store_code is not None and rule.event != EventKind.STORE_VISIT:
        parts.append(book.phrase("store", s=rule.store_code))
    return "".join(f" {part}" for part in parts)


def _join(phrase: str, times: str) -> str:
    # "of at least 50, 7 days in a row": a comma keeps two numbers from running together.
    return f"{phrase}, {times}" if phrase[-1:].isdigit() else f"{phrase} {times}"


def _number(value: Decimal, book: Phrasebook) -> str:
    """A whole number without decimals, any other with two (or as many as it has)."""
    if value == value.to_integral_value():
        digits, decimals = f"{int(value):,}", ""
    else:
        exponent = value.normalize().as_tuple().exponent
        places = max(2, -exponent) if isinstance(exponent, int) else 2
        digits, _, decimals = f"{value:,.{places}f}".partition(".")
    digits = digits.replace(",", book.group_mark)
    return f"{digits}{book.decimal_mark}{decimals}" if decimals else digits
