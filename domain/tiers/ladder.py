"""The tier ladder as plain values: validating a configuration and placing a member on it.

A ladder is valid when it has a base tier (level 0, 0 qualifying points), codes and levels are
unique, qualifying points rise strictly with the level, and every multiplier is positive. A
member qualifies for the highest tier whose qualifying points they earned in the window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Protocol, TypeVar

from domain.errors import InputErrors, InvalidInput, ValidationErrors
from domain.translations import TranslationDraft, validate_translations

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
MAX_TIERS = 20
MAX_BENEFITS = 20
MAX_QUALIFYING_POINTS = 100_000_000
MAX_MULTIPLIER = Decimal(100)
MULTIPLIER_PLACES = 4


@dataclass(frozen=True)
class TierSpec:
    """A tier as an admin configures it (the contract's `TierInput`)."""

    code: str
    name: str
    level: int
    qualifying_points: int
    points_multiplier: Decimal
    benefits: tuple[str, ...] = field(default_factory=tuple)
    #: Names per locale (tiers have no description); None keeps those entered before.
    translations: tuple[TranslationDraft, ...] | None = None

    def stored_translations(self) -> dict[str, dict[str, str]] | None:
        """The translations as the tier row stores them (None: keep the row's)."""
        if self.translations is None:
            return None
        return validate_translations(
            self.translations, ["input"], name_max=TIER_NAME_MAX, description_max=None
        )


TIER_NAME_MAX = 80


class Holder(Protocol):
    """What placing a member on the ladder reads of the member (a `Member` row, or a row of
    those two columns)."""

    @property
    def tier_code(self) -> str | None: ...

    @property
    def tier_level(self) -> int: ...


class Rung(Protocol):
    """The part of a tier that placement needs (a `Tier` row or a `TierSpec`)."""

    @property
    def level(self) -> int: ...

    @property
    def qualifying_points(self) -> int: ...


R = TypeVar("R", bound=Rung)


def _problem(problems: InputErrors, message: str, *path: str | int) -> None:
    problems.add(InvalidInput(message, ["input", *(str(p) for p in path)]))


def validate_ladder(specs: Sequence[TierSpec]) -> list[TierSpec]:
    """The ladder sorted by level, with codes upper-cased and texts stripped.

    Raises `ValidationErrors` naming every field at fault (`["input", "2", "level"]`).
    """
    if not specs:
        raise ValidationErrors([InvalidInput("configure at least the base tier", ["input"])])
    if len(specs) > MAX_TIERS:
        raise ValidationErrors([InvalidInput(f"at most {MAX_TIERS} tiers", ["input"])])
    problems = InputErrors()
    cleaned: list[TierSpec] = []
    for i, spec in enumerate(specs):
        code = spec.code.strip().upper()
        if not CODE.match(code):
            _problem(problems, "code must be 1-32 letters, digits, '-' or '_'", i, "code")
        name = spec.name.strip()
        if not 1 <= len(name) <= 80 or any(ord(c) < 32 for c in name):
            _problem(problems, "name must be 1-80 printable characters", i, "name")
        if spec.level < 0:
            _problem(problems, "level must be 0 or more", i, "level")
        if not 0 <= spec.qualifying_points <= MAX_QUALIFYING_POINTS:
            _problem(
                problems,
                f"qualifying points must be 0-{MAX_QUALIFYING_POINTS}",
                i,
                "qualifyingPoints",
            )
        multiplier = _multiplier(spec.points_multiplier)
        if multiplier is None:
            _problem(
                problems,
                f"points multiplier must be above 0 and at most {MAX_MULTIPLIER}, "
                f"with at most {MULTIPLIER_PLACES} decimals",
                i,
                "pointsMultiplier",
            )
        benefits = tuple(b.strip() for b in spec.benefits)
        if len(benefits) > MAX_BENEFITS:
            _problem(problems, f"at most {MAX_BENEFITS} benefits", i, "benefits")
        for j, benefit in enumerate(benefits):
            if not 1 <= len(benefit) <= 200:
                _problem(problems, "a benefit must be 1-200 characters", i, "benefits", j)
        if spec.translations is not None:
            problems.check(
                validate_translations,
                spec.translations,
                ["input", str(i), "translations"],
                name_max=TIER_NAME_MAX,
                description_max=None,
            )
        cleaned.append(
            TierSpec(
                code=code,
                name=name,
                level=spec.level,
                qualifying_points=spec.qualifying_points,
                points_multiplier=multiplier or Decimal(1),
                benefits=benefits,
                translations=spec.translations,
            )
        )
    _check_uniqueness(cleaned, problems)
    problems.raise_any()
    _check_order(cleaned, problems)
    problems.raise_any()
    return sorted(cleaned, key=lambda s: s.level)


def _multiplier(value: Decimal) -> Decimal | None:
    try:
        multiplier = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not multiplier.is_finite() or not Decimal(0) < multiplier <= MAX_MULTIPLIER:
        return None
    if multiplier != multiplier.quantize(Decimal(1).scaleb(-MULTIPLIER_PLACES)):
        return None
    return multiplier


def _check_uniqueness(specs: list[TierSpec], problems: InputErrors) -> None:
    seen_codes: set[str] = set()
    seen_levels: set[int] = set()
    for i, spec in enumerate(specs):
        if spec.code in seen_codes:
            _problem(problems, f"code '{spec.code}' appears twice", i, "code")
        if spec.level in seen_levels:
            _problem(problems, f"level {spec.level} appears twice", i, "level")
        seen_codes.add(spec.code)
        seen_levels.add(spec.level)


def _check_order(specs: list[TierSpec], problems: InputErrors) -> None:
    position = {id(spec): i for i, spec in enumerate(specs)}
    by_level = sorted(specs, key=lambda s: s.level)
    base = by_level[0]
    if base.level != 0:
        problems.add(InvalidInput("a base tier with level 0 is required", ["input"]))
    elif base.qualifying_points != 0:
        _problem(
            problems,
            "the base tier (level 0) needs 0 qualifying points",
            position[id(base)],
            "qualifyingPoints",
        )
    for lower, higher in pairwise(by_level):
        if higher.qualifying_points <= lower.qualifying_points:
            _problem(
                problems,
                f"qualifying points must rise with the level: level {higher.level} needs more "
                f"than level {lower.level} ({lower.qualifying_points})",
                position[id(higher)],
                "qualifyingPoints",
            )


def qualified_rung(ladder: Sequence[R], points: int) -> R:
    """The highest tier of a (level-sorted, non-empty) ladder that `points` qualify for."""
    best = ladder[0]
    for rung in ladder:
        if rung.qualifying_points <= points:
            best = rung
    return best


def next_rung(ladder: Sequence[R], level: int) -> R | None:
    """The tier just above `level`, or None at the top."""
    for rung in ladder:
        if rung.level > level:
            return rung
    return None
