"""A segment's rule: the conditions a member must all meet, as a value that validates itself.

The rule is pure data (no database): `SegmentRule.validated()` normalises and checks it
(every problem reported together), `to_json()` / `from_json()` store it with the contract's
field names, and `birth_date_bounds()` turns the age range into birth dates as of a day.
The SQL that evaluates a rule is in `domain.segments.query`.

Purchase conditions only look at purchases the member kept (not fully refunded) that
occurred no later than the moment of evaluation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from domain.errors import InputErrors, InvalidInput
from domain.members.validation import check_text, normalise_country
from domain.money import MAX_AMOUNT, is_amount
from domain.purchases.models import Channel

#: The oldest age a rule may ask about (birth dates before 1900 are refused anyway).
MAX_AGE = 150
#: Longest look-back a purchase-recency condition may ask about (about 27 years).
MAX_DAYS = 10_000
MAX_LIST = 200
#: The most members a "likely to redeem" condition may ask for.
MAX_LIKELY_TOP = 1_000_000


@dataclass(frozen=True)
class LikelyToRedeem:
    """The members the recommender finds most likely to redeem reward `reward_code`: those
    whose stored top rewards (the served version's) include it, with at least `min_score`,
    the `top` best scores only. Members the model has not scored never match."""

    reward_code: str
    top: int | None = None
    min_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"rewardCode": self.reward_code, "top": self.top, "minScore": self.min_score}
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LikelyToRedeem:
        return cls(data["rewardCode"], data.get("top"), data.get("minScore"))


CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RULE_FIELD = ["input", "rule"]


@dataclass(frozen=True)
class SegmentRule:
    """Every condition given must hold; `None` (or an empty list) means no condition.

    - `min_tier_level`: the member's tier level is at least this.
    - `countries`: the member's country is one of these ISO 3166-1 alpha-2 codes.
    - `cities`: the member's city is one of these (compared ignoring letter case).
    - `min_age` / `max_age`: the member's age in whole years on the day of evaluation (UTC) is
      within the range; members without a birth date never match an age condition.
    - `min_lifetime_spend`: the sum of the member's kept purchases, net of refunds, is at least
      this.
    - `min_purchases`: the member kept at least this many purchases.
    - `purchased_within_days`: the member kept a purchase made in the last N days.
    - `not_purchased_within_days`: the member kept no purchase made in the last N days
      (members who never bought match).
    - `has_badge_code`: the member holds the badge with this code.
    - `channels`: the member kept a purchase made through one of these channels.
    - `likely_to_redeem`: the member is among those the recommender finds most likely to
      redeem a reward (`LikelyToRedeem`; its `top` is taken before the other conditions).
    """

    min_tier_level: int | None = None
    countries: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    min_lifetime_spend: Decimal | None = None
    min_purchases: int | None = None
    purchased_within_days: int | None = None
    not_purchased_within_days: int | None = None
    has_badge_code: str | None = None
    channels: tuple[Channel, ...] = ()
    likely_to_redeem: LikelyToRedeem | None = None

    def validated(self) -> SegmentRule:
        """The rule normalised (country codes upper case, lists without duplicates, texts
        trimmed). Raises `ValidationErrors` of `InvalidInput`, each naming its field under
        `["input", "rule"]`."""
        problems = InputErrors()
        changes: dict[str, Any] = {}

        def field(name: str) -> list[str]:
            return [*RULE_FIELD, name]

        def within(value: int | None, minimum: int, maximum: int, name: str) -> None:
            if value is not None and not minimum <= value <= maximum:
                problems.add(InvalidInput(f"must be between {minimum} and {maximum}", field(name)))

        within(self.min_tier_level, 0, 1_000, "minTierLevel")
        within(self.min_age, 0, MAX_AGE, "minAge")
        within(self.max_age, 0, MAX_AGE, "maxAge")
        within(self.min_purchases, 0, 1_000_000, "minPurchases")
        within(self.purchased_within_days, 1, MAX_DAYS, "purchasedWithinDays")
        within(self.not_purchased_within_days, 1, MAX_DAYS, "notPurchasedWithinDays")
        if (
            self.min_age is not None
            and self.max_age is not None
            and 0 <= self.max_age < self.min_age
        ):
            problems.add(InvalidInput("minAge must not be greater than maxAge", field("minAge")))
        if (
            self.purchased_within_days is not None
            and self.not_purchased_within_days is not None
            and 0 < self.purchased_within_days <= self.not_purchased_within_days
        ):
            problems.add(
                InvalidInput(
                    "purchasedWithinDays must be greater than notPurchasedWithinDays, "
                    "otherwise no member can match",
                    field("purchasedWithinDays"),
                )
            )
        if self.min_lifetime_spend is not None:
            if not is_amount(self.min_lifetime_spend):
                problems.add(
                    InvalidInput(
                        f"must be an amount from 0 to {MAX_AMOUNT} with at most 2 decimals",
                        field("minLifetimeSpend"),
                    )
                )
        # Both lists' checks run as `_unique` reads them, inside `check` (the first error kept).
        if len(self.countries) > MAX_LIST:
            problems.add(InvalidInput(f"at most {MAX_LIST} countries", field("countries")))
        else:
            changes["countries"] = problems.check(
                _unique, (normalise_country(c, field("countries")) for c in self.countries)
            )
        if len(self.cities) > MAX_LIST:
            problems.add(InvalidInput(f"at most {MAX_LIST} cities", field("cities")))
        else:
            changes["cities"] = problems.check(
                _unique,
                (check_text(c, field("cities"), max_length=80, min_length=1) for c in self.cities),
            )
        if self.has_badge_code is not None:
            code = self.has_badge_code.strip()
            if not code or len(code) > 64:
                problems.add(InvalidInput("must be a badge code", field("hasBadgeCode")))
            changes["has_badge_code"] = code
        changes["channels"] = _unique(Channel(c) for c in self.channels)
        if self.likely_to_redeem is not None:
            likely = self.likely_to_redeem
            path = [*field("likelyToRedeem")]
            code = likely.reward_code.strip()
            if not CODE.match(code):
                problems.add(InvalidInput("must be a reward code", [*path, "rewardCode"]))
            if likely.top is not None and not 1 <= likely.top <= MAX_LIKELY_TOP:
                problems.add(
                    InvalidInput(f"must be between 1 and {MAX_LIKELY_TOP}", [*path, "top"])
                )
            if likely.min_score is not None and not (
                math.isfinite(likely.min_score) and 0 <= likely.min_score <= 1_000
            ):
                problems.add(InvalidInput("must be between 0 and 1000", [*path, "minScore"]))
            changes["likely_to_redeem"] = replace(likely, reward_code=code)
        problems.raise_any()
        return replace(self, **changes)

    def birth_date_bounds(self, today: date) -> tuple[date | None, date | None]:
        """(earliest exclusive, latest inclusive) birth dates of members whose age on `today`
        is within [min_age, max_age]: the member matches when `earliest < birth_date <= latest`.
        """
        latest = latest_birth_date(today, self.min_age) if self.min_age is not None else None
        earliest = latest_birth_date(today, self.max_age + 1) if self.max_age is not None else None
        return earliest, latest

    def to_json(self) -> dict[str, Any]:
        """The conditions set, under the contract's field names (`SegmentRuleInput`)."""
        data: dict[str, Any] = {
            "minTierLevel": self.min_tier_level,
            "countries": list(self.countries) or None,
            "cities": list(self.cities) or None,
            "minAge": self.min_age,
            "maxAge": self.max_age,
            "minLifetimeSpend": (
                str(self.min_lifetime_spend) if self.min_lifetime_spend is not None else None
            ),
            "minPurchases": self.min_purchases,
            "purchasedWithinDays": self.purchased_within_days,
            "notPurchasedWithinDays": self.not_purchased_within_days,
            "hasBadgeCode": self.has_badge_code,
            "channels": [c.value for c in self.channels] or None,
            "likelyToRedeem": self.likely_to_redeem.to_json() if self.likely_to_redeem else None,
        }
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SegmentRule:
        spend = data.get("minLifetimeSpend")
        return cls(
            min_tier_level=data.get("minTierLevel"),
            countries=tuple(data.get("countries") or ()),
            cities=tuple(data.get("cities") or ()),
            min_age=data.get("minAge"),
            max_age=data.get("maxAge"),
            min_lifetime_spend=Decimal(spend) if spend is not None else None,
            min_purchases=data.get("minPurchases"),
            purchased_within_days=data.get("purchasedWithinDays"),
            not_purchased_within_days=data.get("notPurchasedWithinDays"),
            has_badge_code=data.get("hasBadgeCode"),
            channels=tuple(Channel(c) for c in data.get("channels") or ()),
            likely_to_redeem=(
                LikelyToRedeem.from_json(data["likelyToRedeem"])
                if data.get("likelyToRedeem")
                else None
            ),
        )


def latest_birth_date(today: date, age: int) -> date:
    """The latest birth date of someone who is at least `age` whole years old on `today`.

    Someone born on 29 February turns a year older on 1 March in common years, so on
    28 February of a common year they are not yet counted a year older.
    """
    year = today.year - age
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def age_on(birth_date: date, today: date) -> int:
    """Whole years between `birth_date` and `today`."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def check_segment_code(code: str, field: list[str]) -> str:
    code = code.strip()
    if not CODE.match(code):
        raise InvalidInput(
            "a code is 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            field,
        )
    return code


def _unique(values: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))
