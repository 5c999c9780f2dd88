"""Which region board a member is ranked on: the member's country or city, normalised."""

from __future__ import annotations

from domain.members.models import Member
from gamification.leaderboards.models import LeaderboardDefinition, RegionField


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
