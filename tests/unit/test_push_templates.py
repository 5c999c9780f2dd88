"""Notification texts: every template in Spanish and English, personalised and well formatted."""

from __future__ import annotations

from datetime import date

import pytest

from domain.messages import LANGUAGES, format_date, format_number, language, placeholders
from push.notifications.models import NotificationCategory
from push.notifications.templates import TEMPLATES, render


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_speaks_every_language_with_the_same_placeholders(key: str) -> None:
    template = TEMPLATES[key]
    assert set(template.texts) == set(LANGUAGES)
    english = template.texts["en"]
    for title, body in template.texts.values():
        assert placeholders(title) | placeholders(body) == placeholders(english[0]) | placeholders(
            english[1]
        )


def test_a_badge_notification_is_personalised_in_spanish() -> None:
    text = render(
        "badge_earned_points",
        "es-ES",
        {"name": "Lucía", "badge": "Explorador", "badge_id": 12345, "points": 12500},
    )

    assert text.category is NotificationCategory.BADGE
    assert text.title == "Nueva insignia: Explorador"
    assert (
        text.body == "¡Enhorabuena, Lucía! Has conseguido la insignia Explorador y 12.500 puntos."
    )
    assert text.deep_link == "fidelio://badges/12345"  # ids are not formatted as numbers


def test_the_same_notification_in_english() -> None:
    text = render(
        "badge_earned_points",
        "en",
        {"name": "Sam", "badge": "Explorer", "badge_id": 7, "points": 12500},
    )

    assert text.body == "Well done, Sam! You earned the Explorer badge and 12,500 points."


def test_expiring_points_name_the_day_the_way_each_language_does() -> None:
    params = {"points": 1250, "date": date(2026, 3, 4)}

    assert render("points_expiring", "es", params).body == (
        "1250 de tus puntos caducan el 4 de marzo. Úsalos antes."
    )
    assert render("points_expiring", "en", params).body == (
        "1,250 of your points expire on March 4. Use them before then."
    )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("es", "es"), ("es-MX", "es"), ("es_AR", "es"), ("EN-gb", "en"), ("fr", "en"), (None, "en")],
)
def test_a_locale_picks_its_language_and_unknown_ones_fall_back_to_english(
    locale: str | None, expected: str
) -> None:
    assert language(locale) == expected


def test_spanish_groups_thousands_only_from_five_digits() -> None:
    assert format_number(1250, "es") == "1250"
    assert format_number(12500, "es") == "12.500"
    assert format_number(1250, "en") == "1,250"


def test_dates_read_naturally() -> None:
    assert format_date(date(2026, 12, 1), "es") == "1 de diciembre"
    assert format_date(date(2026, 12, 1), "en") == "December 1"


def test_a_missing_value_is_an_error_not_a_broken_text() -> None:
    with pytest.raises(KeyError):
        render("badge_earned", "en", {"name": "Sam"})
