"""What a member did, as the achievement engine sees it, and what it unlocked.

Domain use cases (a purchase, an engagement, a redemption, a drop claim, a store visit, a
completed referral) describe the member's action as an `Activity` and hand it to an
`ActivityObserver` inside their own transaction, so that the payload can report what the
action unlocked. The domain only knows this protocol; the gamification engine implements it
and the app factory passes it in (`domain` never imports `gamification`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.versions import Versions


@dataclass(frozen=True)
class Activity:
    member_id: int
    #: One of the contract's EventKind names: PURCHASE, REFERRAL, SHARE, REVIEW, SURVEY,
    #: STORE_VISIT, REDEMPTION, DROP_CLAIM.
    kind: str
    occurred_at: datetime
    #: Unique per action (e.g. "order:A-1"): the engine counts an activity once.
    reference: str
    amount: Decimal | None = None
    points: int = 0
    categories: frozenset[str] = frozenset()
    channel: str | None = None
    store_code: str | None = None


@dataclass
class Awards:
    """What one action unlocked: badges, challenge completions, a new tier, bonus points."""

    badge_ids: list[int] = field(default_factory=list)
    challenge_ids: list[int] = field(default_factory=list)
    new_tier_code: str | None = None
    points_awarded: int = 0

    def merge(self, other: Awards) -> Awards:
        return Awards(
            badge_ids=[*self.badge_ids, *other.badge_ids],
            challenge_ids=[*self.challenge_ids, *other.challenge_ids],
            new_tier_code=other.new_tier_code or self.new_tier_code,
            points_awarded=self.points_awarded + other.points_awarded,
        )


class ActivityObserver(Protocol):
    async def observe(
        self, activity: Activity, now: datetime, *, versions: Versions | None = None
    ) -> Awards:
        """Evaluate the activity inside the caller's transaction; return what it unlocked.
        `versions`: the configuration versions, when the caller has read them already."""
        ...

    async def preview(
        self,
        activity: Activity,
        now: datetime,
        *,
        versions: Versions | None = None,
        time_zone: str | None = None,
    ) -> Awards:
        """What `observe` would award for the activity (badges, challenges, their bonus
        points), writing and locking nothing. `time_zone`: the member's (None: a member not
        recorded yet). `new_tier_code` stays None: the caller places the member."""
        ...

    async def watches(self, kind: str, now: datetime, *, versions: Versions | None = None) -> bool:
        """Whether an activity of `kind` could change anything now (a rule of that kind is
        configured): when not, a caller may skip `observe` and the transaction it needs."""
        ...


class NoAchievements:
    """The observer used where no engine is wired (unit tests of a single area)."""

    async def observe(
        self, activity: Activity, now: datetime, *, versions: Versions | None = None
    ) -> Awards:
        return Awards()

    async def preview(
        self,
        activity: Activity,
        now: datetime,
        *,
        versions: Versions | None = None,
        time_zone: str | None = None,
    ) -> Awards:
        return Awards()

    async def watches(self, kind: str, now: datetime, *, versions: Versions | None = None) -> bool:
        return False
