"""The one mechanism of member-facing texts: every catalogue complete in every language, English
as the fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.drops.messages import CATALOGUE as DROPS
from domain.messages import CATALOGUE, LANGUAGES, Catalogue, load
from domain.offers.messages import CATALOGUE as OFFERS
from domain.referrals.messages import CATALOGUE as REFERRALS
from domain.rewards.messages import CATALOGUE as REWARDS

CATALOGUES = {"drops": DROPS, "rewards": REWARDS, "referrals": REFERRALS, "offers": OFFERS}


@pytest.mark.parametrize("area", sorted(CATALOGUES))
def test_every_catalogue_says_everything_in_every_language_with_the_same_placeholders(
    area: str,
) -> None:
    assert CATALOGUES[area].check() == []


def test_a_text_missing_in_a_language_falls_back_to_english_and_numbers_follow_the_language() -> (
    None
):
    catalogue = Catalogue(
        {
            "en": {"price": "{points} points", "thanks": "Thank you"},
            "es": {"price": "{points} puntos"},
        }
    )
    assert catalogue.text("es-AR", "price", points=12500) == "12.500 puntos"
    assert catalogue.text("es", "thanks") == "Thank you"
    assert catalogue.text("de", "price", points=12500) == "12,500 points"
    assert catalogue.check() == ["es: thanks is missing or unknown to English"]


def test_a_catalogue_with_other_placeholders_than_english_is_reported() -> None:
    catalogue = Catalogue({"en": {"k": "{a} and {b}"}, "es": {"k": "{a} y {c}"}, "fr": {}})
    assert catalogue.check() == [
        "es: k has other placeholders than in English",
        "fr: not a supported language",
        "fr: k is missing or unknown to English",
    ]


def test_every_locale_file_has_every_key_with_the_same_placeholders() -> None:
    assert sorted(CATALOGUE.texts) == sorted(LANGUAGES)
    assert CATALOGUE.check() == []
    # Every area reads its texts from the files: errors, notifications, rules in words.
    areas = {key.split(".")[0] for key in CATALOGUE.texts["en"]}
    assert {"drops", "rewards", "referrals", "offers", "notifications", "rules"} <= areas


def test_a_locale_file_lacking_a_key_or_a_placeholder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(
        '[drops]\nclosed = "Closed at {at}."\nsold = "Sold out."\n', encoding="utf-8"
    )
    (tmp_path / "es.toml").write_text('[drops]\nclosed = "Cerró."\n', encoding="utf-8")

    catalogue = load(tmp_path)

    assert catalogue.area("drops").text("es", "sold") == "Sold out."
    assert catalogue.check() == [
        "es: drops.sold is missing or unknown to English",
        "es: drops.closed has other placeholders than in English",
    ]


def test_a_locale_value_that_is_not_a_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text("[drops]\nlimit = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en.toml: drops\.limit is not a text"):
        load(tmp_path)
