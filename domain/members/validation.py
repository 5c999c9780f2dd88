"""Rules for a member's profile fields; each failure names the input field at fault."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

import pycountry

from domain.errors import InvalidInput

EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
LOCALE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2}|[-_]\d{3})?$")
OLDEST_BIRTH_DATE = date(1900, 1, 1)
DISPLAY_NAME_MAX = 80
#: The invisible format characters (Unicode category Cf) a name may hold, between two others:
#: the joiners, which emoji sequences (ZWJ) and some scripts' spelling (ZWNJ in Persian) need.
NAME_JOINERS = frozenset("\u200c\u200d")


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    return name in _time_zones()


def normalise_country(code: str, field: list[str]) -> str:
    upper = code.strip().upper()
    if len(upper) != 2 or pycountry.countries.get(alpha_2=upper) is None:
        raise InvalidInput(f"'{code}' is not an ISO 3166-1 alpha-2 country code", field)
    return upper


def check_time_zone(name: str, field: list[str]) -> str:
    if not is_time_zone(name):
        raise InvalidInput(f"'{name}' is not an IANA time zone (e.g. Europe/Madrid)", field)
    return name


def check_text(value: str, field: list[str], *, max_length: int, min_length: int = 0) -> str:
    text = value.strip()
    if len(text) < min_length:
        raise InvalidInput(f"must have at least {min_length} characters", field)
    if len(text) > max_length:
        raise InvalidInput(f"must have at most {max_length} characters", field)
    if any(ord(c) < 32 for c in text):
        raise InvalidInput("must not contain control characters", field)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        # A lone surrogate (JSON "\ud800") is no character: it cannot be stored or sent.
        raise InvalidInput("must be valid Unicode text", field)
    return text


def check_display_name(value: str, field: list[str]) -> str:
    """A name other members read (boards, referrals, raffles): `check_text`, and no invisible
    format character but a joiner inside it. Direction overrides and isolates (U+202A-U+202E,
    U+2066-U+2069) show the name, and what follows it, reordered ("x", U+202E, "evil" reads
    "xlive"); zero-width spaces hide in it."""
    name = check_text(value, field, max_length=DISPLAY_NAME_MAX, min_length=1)
    if (
        name[0] in NAME_JOINERS
        or name[-1] in NAME_JOINERS
        or any(unicodedata.category(c) == "Cf" and c not in NAME_JOINERS for c in name)
    ):
        raise InvalidInput(
            "must not contain invisible formatting characters (direction controls, "
            "zero-width spaces)",
            field,
        )
    return name


def check_email(value: str, field: list[str]) -> str:
    email = value.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput(f"'{value}' is not an email address", field)
    return email


def check_locale(value: str, field: list[str]) -> str:
    if not LOCALE.match(value):
        raise InvalidInput(f"'{value}' is not a locale such as 'en' or 'es-ES'", field)
    return value.replace("_", "-")


def check_birth_date(value: date, today: date, field: list[str]) -> date:
    if value > today:
        raise InvalidInput("birth date is in the future", field)
    if value < OLDEST_BIRTH_DATE:
        raise InvalidInput("birth date is before 1900", field)
    return value
