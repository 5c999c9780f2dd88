"""The contract's enums for badges and challenges, as Python `StrEnum`s.

Member names and values are exactly the GraphQL enum names, so a value read from the API or
from a JSON column converts with `EventKind("PURCHASE")`.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What a member did."""

    PURCHASE = "PURCHASE"
    REFERRAL = "REFERRAL"
    SHARE = "SHARE"
    REVIEW = "REVIEW"
    SURVEY = "SURVEY"
    STORE_VISIT = "STORE_VISIT"
    REDEMPTION = "REDEMPTION"
    DROP_CLAIM = "DROP_CLAIM"


class Aggregate(StrEnum):
    """How a rule folds the matching events into one number compared with its target."""

    COUNT = "COUNT"
    SUM_AMOUNT = "SUM_AMOUNT"
    SUM_POINTS = "SUM_POINTS"
    DISTINCT_DAYS = "DISTINCT_DAYS"
    DISTINCT_CATEGORIES = "DISTINCT_CATEGORIES"
    STREAK_DAYS = "STREAK_DAYS"
    STREAK_WEEKS = "STREAK_WEEKS"


class Recurrence(StrEnum):
    """How often a challenge's progress starts again from zero."""

    NONE = "NONE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class Channel(StrEnum):
    """Where a purchase was made (the contract's `Channel`)."""

    APP = "APP"
    WEB = "WEB"
    STORE = "STORE"
