"""Which region board a member is ranked on: the member's country or city, normalised."""

from __future__ import annotations

import re

from domain.errors import InvalidInput
from domain.members.models import Member
from gamification.leaderboards.models import LeaderboardDefinition, RegionField

#: The longest region of each kind: the member's column it comes from (`Member.country`, two
#: letters, and `Member.city`), so that a longer one is no member's region.
REGION_MAX = {RegionField.COUNTRY: 2, RegionField.CITY: 80}
#: Unicode's control characters (category Cc): no place's name holds one (a member's city
#: refuses those below U+0020).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def check_region(field: RegionField, value: str | None) -> str | None:
    """A region asked for (a query argument) that a member could have: at most `REGION_MAX`
    characters once normalised, no control character; None when none is asked. Raises
    InvalidInput on `region` otherwise (a caller's text is not echoed back with an empty
    board)."""
    if value is None:
        return None
    longest = REGION_MAX[field]
    if len(" ".join(value.split())) > longest:
        raise InvalidInput(f"a {field.value.lower()} has at most {longest} characters", ["region"])
    if _CONTROL.search(value.strip()):
        raise InvalidInput("a region has no control characters", ["region"])
    return value


def normalise_region(field: RegionField, value: str | None) -> str | None:
    """The region key of a profile value or a query argument: countries in upper case, cities
    case-folded with single spaces; None for an empty value."""
    if value is None:
        return None
    text = " ".join(value.split())
    if not text or text == "_":
        return None
    return text.upper() if field is RegionField.COUNTRY else text.casefold()


def member_region(definition: LeaderboardDefinition, member: Member) -> str | None:
    """The region the member is ranked in on the board; None for a board without regions or
    a member without the field."""
    if definition.region_field is None:
        return None
    field = RegionField(definition.region_field)
    raw = member.country if field is RegionField.COUNTRY else member.city
    return normalise_region(field, raw)
