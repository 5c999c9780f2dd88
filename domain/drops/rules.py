"""The rules of a drop that need no database: its status, when it opens for a member, and the
announcement phases.

Status is derived, never stored: CLOSED once `closes_at` has passed, SOLD_OUT while open with
no stock left, OPEN from the moment it opens for the viewer (early access opens it sooner for
members at or above the early-access tier), UPCOMING before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class DropTerms(Protocol):
    """What the rules read of a drop (a `Drop` row, or any object with these attributes)."""

    opens_at: datetime
    closes_at: datetime
    remaining: int
    min_tier_level: int
    early_access_tier_level: int | None
    early_access_minutes: int
    announce: bool
    early_announced_at: datetime | None
    announced_at: datetime | None


class DropStatus(StrEnum):
    UPCOMING = "UPCOMING"
    OPEN = "OPEN"
    SOLD_OUT = "SOLD_OUT"
    CLOSED = "CLOSED"


def has_early_access(drop: DropTerms, tier_level: int) -> bool:
    return (
        drop.early_access_tier_level is not None
        and drop.early_access_minutes > 0
        and tier_level >= drop.early_access_tier_level
    )


def early_opens_at(drop: DropTerms) -> datetime | None:
    """When the drop opens for the early-access tiers (None without early access)."""
    if drop.early_access_tier_level is None or drop.early_access_minutes <= 0:
        return None
    return drop.opens_at - timedelta(minutes=drop.early_access_minutes)


def opens_for(drop: DropTerms, tier_level: int | None) -> datetime:
    """When the drop opens for a member of `tier_level` (None: the general opening)."""
    if tier_level is not None and has_early_access(drop, tier_level):
        return drop.opens_at - timedelta(minutes=drop.early_access_minutes)
    return drop.opens_at


def drop_status(drop: DropTerms, now: datetime, tier_level: int | None = None) -> DropStatus:
    """The status of the drop at `now`, as a member of `tier_level` sees it."""
    if now >= drop.closes_at:
        return DropStatus.CLOSED
    if now < opens_for(drop, tier_level):
        return DropStatus.UPCOMING
    if drop.remaining <= 0:
        return DropStatus.SOLD_OUT
    return DropStatus.OPEN


class AnnouncePhase(StrEnum):
    #: The drop opens for the early-access tiers.
    EARLY = "EARLY"
    #: The drop opens for every eligible member.
    GENERAL = "GENERAL"


@dataclass(frozen=True)
class Announcement:
    phase: AnnouncePhase
    opens_at: datetime
    min_tier_level: int


def due_announcements(drop: DropTerms, now: datetime) -> list[Announcement]:
    """The phases of the drop that have opened by `now` and are not yet announced.

    An early phase whose general opening has already come is skipped (the general
    announcement covers everyone), and a closed drop announces nothing.
    """
    if not drop.announce or now >= drop.closes_at:
        return []
    general_due = now >= drop.opens_at
    due: list[Announcement] = []
    early_at = early_opens_at(drop)
    if (
        early_at is not None
        and drop.early_announced_at is None
        and now >= early_at
        and not general_due
    ):
        assert drop.early_access_tier_level is not None
        due.append(
            Announcement(
                AnnouncePhase.EARLY,
                early_at,
                max(drop.min_tier_level, drop.early_access_tier_level),
            )
        )
    if general_due and drop.announced_at is None:
        due.append(Announcement(AnnouncePhase.GENERAL, drop.opens_at, drop.min_tier_level))
    return due
