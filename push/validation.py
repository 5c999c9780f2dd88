"""Checks shared by push's inputs: admins' (stores, promotions, campaigns), in English, and
members' (a visit's position and time), in their language."""

from __future__ import annotations

import math
import re
from datetime import datetime

from domain.errors import InvalidInput
from domain.messages import CATALOGUE

#: The checks a member may meet (a position, a time), in their language: the `[checks]` texts.
#: Without a locale (admins' inputs), English.
CHECKS = CATALOGUE.area("checks")

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEEP_LINK = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")


def check_code(value: str, field: list[str]) -> str:
    code = value.strip()
    if not CODE.match(code):
        raise InvalidInput(
            "a code is 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit",
            field,
        )
    return code


def check_text(value: str, field: list[str], *, max_length: int, min_length: int = 1) -> str:
    text = value.strip()
    if len(text) < min_length:
        raise InvalidInput(f"must have at least {min_length} characters", field)
    if len(text) > max_length:
        raise InvalidInput(f"must have at most {max_length} characters", field)
    if any(ord(c) < 32 and c != "\n" for c in text):
        raise InvalidInput("must not contain control characters", field)
    return text


def check_deep_link(value: str | None, field: list[str]) -> str | None:
    if value is None or not value.strip():
        return None
    link = value.strip()
    if len(link) > 500 or not DEEP_LINK.match(link):
        raise InvalidInput(
            "a deep link looks like fidelio://drops/12 (at most 500 characters)", field
        )
    return link


def check_int(value: int, field: list[str], *, minimum: int, maximum: int) -> int:
    if not minimum <= value <= maximum:
        raise InvalidInput(f"must be between {minimum} and {maximum}", field)
    return value


def check_latitude(value: float, field: list[str], locale: str | None = None) -> float:
    if not math.isfinite(value) or not -90.0 <= value <= 90.0:
        raise InvalidInput(CHECKS.text(locale, "latitude"), field)
    return float(value)


def check_longitude(value: float, field: list[str], locale: str | None = None) -> float:
    if not math.isfinite(value) or not -180.0 <= value <= 180.0:
        raise InvalidInput(CHECKS.text(locale, "longitude"), field)
    return float(value)


def check_aware(value: datetime, field: list[str], locale: str | None = None) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(CHECKS.text(locale, "time_offset"), field)
    return value
