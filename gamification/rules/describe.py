"""A rule in words, for members: "Make 3 purchases in the shoes category within 30 days".

Spanish for locales whose language is `es` ("es", "es-ES", "es_MX"), English otherwise. Each
language is one `Phrasebook` of templates; `describe` only picks and joins them, so a language
is added as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType

from gamification.rules.kinds import Aggregate, Channel, EventKind
from gamification.rules.rule import Rule

E = EventKind


@dataclass(frozen=True)
class Phrasebook:
    """The templates of one language. Pairs are (one, other) plural forms.

    Placeholders: {n} a count or target, {place} where a store visit happens, {source} what
    earns the points, {m} an amount, {c} a category, {s} a store code.
    """

    count: Mapping[EventKind, tuple[str, str]]
    activity: Mapping[EventKind, str]
    purchase_with_minimum: str
    visit_any_store: str
    visit_one_store: str
    visit_store: str
    points_source: Mapping[EventKind, str]
    spend: str
    points: tuple[str, str]
    distinct_days: tuple[str, str]
    distinct_categories: tuple[str, str]
    streak_days: tuple[str, str]
    streak_weeks: tuple[str, str]
    minimum: str
    minimum_spent: str
    minimum_categories: str
    category: str
    category_spent: str
    channels: Mapping[Channel, str]
    store: str
    window: tuple[str, str]
    decimal_mark: str
    group_mark: str


ENGLISH = Phrasebook(
    count=MappingProxyType(
        {
            E.PURCHASE: ("Make a purchase", "Make {n} purchases"),
            E.REFERRAL: ("Refer a friend", "Refer {n} friends"),
            E.SHARE: ("Share once", "Share {n} times"),
            E.REVIEW: ("Write a review", "Write {n} reviews"),
            E.SURVEY: ("Answer a survey", "Answer {n} surveys"),
            E.STORE_VISIT: ("Visit {place} once", "Visit {place} {n} times"),
            E.REDEMPTION: ("Redeem a reward", "Redeem {n} rewards"),
            E.DROP_CLAIM: ("Claim a limited-edition drop", "Claim {n} limited-edition drops"),
        }
    ),
    activity=MappingProxyType(
        {
            E.PURCHASE: "Buy something",
            E.REFERRAL: "Refer a friend",
            E.SHARE: "Share something",
            E.REVIEW: "Write a review",
            E.SURVEY: "Answer a survey",
            E.STORE_VISIT: "Visit {place}",
            E.REDEMPTION: "Redeem a reward",
            E.DROP_CLAIM: "Claim a limited-edition drop",
        }
    ),
    purchase_with_minimum="Make a purchase",
    visit_any_store="our stores",
    visit_one_store="a store",
    visit_store="store {s}",
    points_source=MappingProxyType(
        {
            E.PURCHASE: "from purchases",
            E.REFERRAL: "from referrals",
            E.SHARE: "from shares",
            E.REVIEW: "from reviews",
            E.SURVEY: "from surveys",
            E.STORE_VISIT: "from store visits",
            E.REDEMPTION: "from redemptions",
            E.DROP_CLAIM: "from limited-edition drops",
        }
    ),
    spend="Spend {n}",
    points=("Earn {n} point {source}", "Earn {n} points {source}"),
    distinct_days=("on {n} day", "on {n} different days"),
    distinct_categories=("Buy from {n} category", "Buy from {n} different categories"),
    streak_days=("on {n} day", "{n} days in a row"),
    streak_weeks=("in {n} week", "{n} weeks in a row"),
    minimum=" of at least {m}",
    minimum_spent=" on purchases of at least {m}",
    minimum_categories=" with purchases of at least {m}",
    category=" in the {c} category",
    category_spent=" in the {c} category",
    channels=MappingProxyType(
        {Channel.APP: " in the app", Channel.WEB: " on the website", Channel.STORE: " in store"}
    ),
    store=" at store {s}",
    window=(" in a single day", " within {n} days"),
    decimal_mark=".",
    group_mark=",",
)

SPANISH = Phrasebook(
    count=MappingProxyType(
        {
            E.PURCHASE: ("Haz una compra", "Haz {n} compras"),
            E.REFERRAL: ("Invita a un amigo", "Invita a {n} amigos"),
            E.SHARE: ("Comparte una vez", "Comparte {n} veces"),
            E.REVIEW: ("Escribe una reseña", "Escribe {n} reseñas"),
            E.SURVEY: ("Responde una encuesta", "Responde {n} encuestas"),
            E.STORE_VISIT: ("Visita {place} una vez", "Visita {place} {n} veces"),
            E.REDEMPTION: ("Canjea una recompensa", "Canjea {n} recompensas"),
            E.DROP_CLAIM: ("Consigue una edición limitada", "Consigue {n} ediciones limitadas"),
        }
    ),
    activity=MappingProxyType(
        {
            E.PURCHASE: "Compra algo",
            E.REFERRAL: "Invita a un amigo",
            E.SHARE: "Comparte algo",
            E.REVIEW: "Escribe una reseña",
            E.SURVEY: "Responde una encuesta",
            E.STORE_VISIT: "Visita {place}",
            E.REDEMPTION: "Canjea una recompensa",
            E.DROP_CLAIM: "Consigue una edición limitada",
        }
    ),
    purchase_with_minimum="Haz una compra",
    visit_any_store="nuestras tiendas",
    visit_one_store="una tienda",
    visit_store="la tienda {s}",
    points_source=MappingProxyType(
        {
            E.PURCHASE: "con tus compras",
            E.REFERRAL: "invitando a amigos",
            E.SHARE: "compartiendo",
            E.REVIEW: "con tus reseñas",
            E.SURVEY: "respondiendo encuestas",
            E.STORE_VISIT: "visitando tiendas",
            E.REDEMPTION: "con tus canjes",
            E.DROP_CLAIM: "con ediciones limitadas",
        }
    ),
    spend="Gasta {n}",
    points=("Gana {n} punto {source}", "Gana {n} puntos {source}"),
    distinct_days=("{n} día", "{n} días distintos"),
    distinct_categories=("Compra en {n} categoría", "Compra en {n} categorías distintas"),
    streak_days=("{n} día", "{n} días seguidos"),
    streak_weeks=("{n} semana", "{n} semanas seguidas"),
    minimum=" de al menos {m}",
    minimum_spent=" en compras de al menos {m}",
    minimum_categories=" con compras de al menos {m}",
    category=" de la categoría {c}",
    category_spent=" en la categoría {c}",
    channels=MappingProxyType(
        {
            Channel.APP: " en la app",
            Channel.WEB: " en la web",
            Channel.STORE: " en tienda",
        }
    ),
    store=" en la tienda {s}",
    window=(" en un solo día", " en {n} días"),
    decimal_mark=",",
    group_mark="",
)

# Spanish-speaking countries that write 12.50 rather than 12,50.
DECIMAL_POINT_REGIONS = frozenset({"MX", "US", "PR", "DO", "GT", "HN", "NI", "SV", "PA"})

SPANISH_DECIMAL_POINT = replace(SPANISH, decimal_mark=".")


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
            text = book.count[rule.event][0 if one else 1].format(n=n, place=place) + qualifiers
        case Aggregate.SUM_AMOUNT:
            text = book.spend.format(n=n) + qualifiers
        case Aggregate.SUM_POINTS:
            source = book.points_source[rule.event]
            text = book.points[0 if one else 1].format(n=n, source=source) + qualifiers
        case Aggregate.DISTINCT_CATEGORIES:
            text = book.distinct_categories[0 if one else 1].format(n=n) + qualifiers
        case _:
            times = {
                Aggregate.DISTINCT_DAYS: book.distinct_days,
                Aggregate.STREAK_DAYS: book.streak_days,
                Aggregate.STREAK_WEEKS: book.streak_weeks,
            }[rule.aggregate][0 if one else 1].format(n=n)
            text = _join(_activity(rule, book, place) + qualifiers, times)
    if rule.window_days is not None and rule.aggregate not in (
        Aggregate.STREAK_DAYS,
        Aggregate.STREAK_WEEKS,
    ):
        window = book.window[0 if rule.window_days == 1 else 1]
        text += window.format(n=_number(Decimal(rule.window_days), book))
    return text


def phrasebook(locale: str) -> Phrasebook:
    """The phrasebook for a locale such as "es", "es-ES", "es_MX" or "en-GB"."""
    language, _, region = re.sub("[-_]", "-", locale.strip()).partition("-")
    if language.lower() != "es":
        return ENGLISH
    if region[:2].upper() in DECIMAL_POINT_REGIONS:
        return SPANISH_DECIMAL_POINT
    return SPANISH


def _activity(rule: Rule, book: Phrasebook, place: str) -> str:
    if rule.event == EventKind.PURCHASE and rule.min_amount is not None:
        return book.purchase_with_minimum
    return book.activity[rule.event].format(place=place)


def _place(rule: Rule, book: Phrasebook, *, count: bool) -> str:
    if rule.store_code is not None:
        return book.visit_store.format(s=rule.store_code)
    return book.visit_any_store if count else book.visit_one_store


def _qualifiers(rule: Rule, book: Phrasebook) -> str:
    """The filters, as words following the main phrase."""
    parts = []
    if rule.min_amount is not None:
        template = {
            Aggregate.SUM_AMOUNT: book.minimum_spent,
            Aggregate.DISTINCT_CATEGORIES: book.minimum_categories,
        }.get(rule.aggregate, book.minimum)
        parts.append(template.format(m=_number(rule.min_amount, book)))
    if rule.category is not None:
        template = book.category_spent if rule.aggregate is Aggregate.SUM_AMOUNT else book.category
        parts.append(template.format(c=rule.category))
    if rule.channel is not None and not (
        rule.channel is Channel.STORE and rule.store_code is not None
    ):
        parts.append(book.channels[Channel(rule.channel)])
    # A store visit names its store in the verb phrase ("Visit store MAD-01").
    if rule.store_code is not None and rule.event != EventKind.STORE_VISIT:
        parts.append(book.store.format(s=rule.store_code))
    return "".join(parts)


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
