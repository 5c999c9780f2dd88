from decimal import Decimal

import pytest

from gamification.rules import AGGREGATE_EVENTS, Aggregate, Channel, EventKind, Rule, describe

E, A = EventKind, Aggregate


@pytest.mark.parametrize(
    ("rule", "english", "spanish"),
    [
        (
            Rule(E.PURCHASE, A.COUNT, 3, window_days=30, category="shoes"),
            "Make 3 purchases in the shoes category within 30 days",
            "Haz 3 compras de la categoría shoes en 30 días",
        ),
        (
            Rule(E.PURCHASE, A.STREAK_DAYS, 7),
            "Buy something 7 days in a row",
            "Compra algo 7 días seguidos",
        ),
        (
            Rule(E.PURCHASE, A.STREAK_WEEKS, 4),
            "Buy something 4 weeks in a row",
            "Compra algo 4 semanas seguidas",
        ),
        (
            Rule(E.PURCHASE, A.SUM_AMOUNT, 500, window_days=90),
            "Spend 500 within 90 days",
            "Gasta 500 en 90 días",
        ),
        (
            Rule(E.PURCHASE, A.SUM_AMOUNT, 200, category="shoes"),
            "Spend 200 in the shoes category",
            "Gasta 200 en la categoría shoes",
        ),
        (
            Rule(E.PURCHASE, A.SUM_POINTS, 1000),
            "Earn 1,000 points from purchases",
            "Gana 1000 puntos con tus compras",
        ),
        (
            Rule(E.REFERRAL, A.SUM_POINTS, 300, window_days=7),
            "Earn 300 points from referrals within 7 days",
            "Gana 300 puntos invitando a amigos en 7 días",
        ),
        (
            Rule(E.PURCHASE, A.DISTINCT_DAYS, 5, window_days=30),
            "Buy something on 5 different days within 30 days",
            "Compra algo 5 días distintos en 30 días",
        ),
        (
            Rule(E.PURCHASE, A.DISTINCT_CATEGORIES, 4),
            "Buy from 4 different categories",
            "Compra en 4 categorías distintas",
        ),
        (
            Rule(E.REFERRAL, A.COUNT, 3),
            "Refer 3 friends",
            "Invita a 3 amigos",
        ),
        (Rule(E.SHARE, A.COUNT, 5), "Share 5 times", "Comparte 5 veces"),
        (Rule(E.REVIEW, A.COUNT, 2), "Write 2 reviews", "Escribe 2 reseñas"),
        (Rule(E.SURVEY, A.COUNT, 3), "Answer 3 surveys", "Responde 3 encuestas"),
        (
            Rule(E.STORE_VISIT, A.COUNT, 4),
            "Visit our stores 4 times",
            "Visita nuestras tiendas 4 veces",
        ),
        (
            Rule(E.STORE_VISIT, A.COUNT, 4, store_code="MAD-01"),
            "Visit store MAD-01 4 times",
            "Visita la tienda MAD-01 4 veces",
        ),
        (
            Rule(E.STORE_VISIT, A.STREAK_WEEKS, 3),
            "Visit a store 3 weeks in a row",
            "Visita una tienda 3 semanas seguidas",
        ),
        (Rule(E.REDEMPTION, A.COUNT, 2), "Redeem 2 rewards", "Canjea 2 recompensas"),
        (
            Rule(E.DROP_CLAIM, A.COUNT, 3),
            "Claim 3 limited-edition drops",
            "Consigue 3 ediciones limitadas",
        ),
        (
            Rule(E.REVIEW, A.STREAK_DAYS, 3),
            "Write a review 3 days in a row",
            "Escribe una reseña 3 días seguidos",
        ),
    ],
)
def test_a_rule_reads_naturally_in_english_and_spanish(
    rule: Rule, english: str, spanish: str
) -> None:
    assert describe(rule, "en") == english
    assert describe(rule, "es") == spanish


def test_one_of_a_thing_reads_in_the_singular() -> None:
    assert describe(Rule(E.PURCHASE, A.COUNT, 1), "en") == "Make a purchase"
    assert describe(Rule(E.PURCHASE, A.COUNT, 1), "es") == "Haz una compra"
    assert describe(Rule(E.SHARE, A.COUNT, 1), "en") == "Share once"
    assert describe(Rule(E.SHARE, A.COUNT, 1), "es") == "Comparte una vez"
    assert describe(Rule(E.SURVEY, A.SUM_POINTS, 1), "en") == "Earn 1 point from surveys"
    assert describe(Rule(E.SURVEY, A.SUM_POINTS, 1), "es") == "Gana 1 punto respondiendo encuestas"


def test_a_one_day_window_reads_as_a_single_day() -> None:
    rule = Rule(E.PURCHASE, A.COUNT, 2, window_days=1)

    assert describe(rule, "en") == "Make 2 purchases in a single day"
    assert describe(rule, "es") == "Haz 2 compras en un solo día"


def test_every_filter_is_put_into_words() -> None:
    rule = Rule(
        E.PURCHASE,
        A.COUNT,
        3,
        window_days=30,
        category="shoes",
        channel=Channel.APP,
        store_code=None,
        min_amount=Decimal("50"),
    )

    assert describe(rule, "en") == (
        "Make 3 purchases of at least 50 in the shoes category in the app within 30 days"
    )
    assert describe(rule, "es") == (
        "Haz 3 compras de al menos 50 de la categoría shoes en la app en 30 días"
    )


@pytest.mark.parametrize(
    ("channel", "english", "spanish"),
    [
        (
            Channel.APP,
            "Buy something in the app 5 days in a row",
            "Compra algo en la app 5 días seguidos",
        ),
        (
            Channel.WEB,
            "Buy something on the website 5 days in a row",
            "Compra algo en la web 5 días seguidos",
        ),
        (
            Channel.STORE,
            "Buy something in store 5 days in a row",
            "Compra algo en tienda 5 días seguidos",
        ),
    ],
)
def test_each_channel_has_its_words(channel: Channel, english: str, spanish: str) -> None:
    rule = Rule(E.PURCHASE, A.STREAK_DAYS, 5, channel=channel)

    assert describe(rule, "en") == english
    assert describe(rule, "es") == spanish


def test_a_store_names_where_to_buy_and_makes_the_in_store_channel_redundant() -> None:
    rule = Rule(E.PURCHASE, A.SUM_AMOUNT, 100, channel=Channel.STORE, store_code="MAD-01")

    assert describe(rule, "en") == "Spend 100 at store MAD-01"
    assert describe(rule, "es") == "Gasta 100 en la tienda MAD-01"


def test_a_minimum_amount_reads_with_the_aggregate() -> None:
    minimum = Decimal("49.90")

    assert describe(Rule(E.PURCHASE, A.SUM_AMOUNT, 199.5, min_amount=minimum), "en") == (
        "Spend 199.50 on purchases of at least 49.90"
    )
    assert describe(Rule(E.PURCHASE, A.DISTINCT_CATEGORIES, 3, min_amount=minimum), "es") == (
        "Compra en 3 categorías distintas con compras de al menos 49,90"
    )
    # A comma keeps the amount and the count of days from running together.
    assert describe(Rule(E.PURCHASE, A.STREAK_DAYS, 7, min_amount=Decimal(50)), "en") == (
        "Make a purchase of at least 50, 7 days in a row"
    )
    assert describe(Rule(E.PURCHASE, A.STREAK_DAYS, 7, min_amount=Decimal(50)), "es") == (
        "Haz una compra de al menos 50, 7 días seguidos"
    )


@pytest.mark.parametrize("locale", ["es", "es-ES", "es_MX", "ES", "es-419", " es_AR "])
def test_spanish_locales_read_in_spanish(locale: str) -> None:
    assert describe(Rule(E.PURCHASE, A.STREAK_DAYS, 7), locale) == "Compra algo 7 días seguidos"


@pytest.mark.parametrize("locale", ["en", "en-GB", "fr-FR", "pt_BR", "", "esperanto"])
def test_any_other_locale_reads_in_english(locale: str) -> None:
    assert describe(Rule(E.PURCHASE, A.STREAK_DAYS, 7), locale) == "Buy something 7 days in a row"


def test_decimals_are_written_the_way_the_region_writes_them() -> None:
    rule = Rule(E.PURCHASE, A.SUM_AMOUNT, 1250.5)

    assert describe(rule, "en-US") == "Spend 1,250.50"
    assert describe(rule, "es-ES") == "Gasta 1250,50"
    assert describe(rule, "es_MX") == "Gasta 1250.50"


VALID_PAIRS = [
    (kind, aggregate) for aggregate, kinds in AGGREGATE_EVENTS.items() for kind in sorted(kinds)
]


@pytest.mark.parametrize(("kind", "aggregate"), VALID_PAIRS)
def test_every_valid_rule_has_a_complete_description_in_both_languages(
    kind: EventKind, aggregate: Aggregate
) -> None:
    rule = Rule(kind, aggregate, 3)

    english, spanish = describe(rule, "en"), describe(rule, "es")

    for text in (english, spanish):
        assert "{" not in text and "}" not in text
        assert text[0].isupper() and "3" in text and "  " not in text
    assert english != spanish
