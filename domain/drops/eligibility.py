"""Who may claim a drop, and from when.

A member is eligible when their account is active, their current tier level is at least the
drop's minimum, and they hold the required badge, if any. The drop's segment is stored with it
but not checked yet: the segments area has no membership check on this branch (see the
report). Eligibility is about the member, not the moment: whether the drop is open, sold out
or affordable is told by the claim's own errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.achievements.models import Badge, MemberBadge
from domain.drops import messages
from domain.drops.models import Drop
from domain.drops.rules import DropTerms, opens_for
from domain.members.models import Member


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    #: When the drop opens for this member (earlier with early access).
    opens_for_me_at: datetime
    #: Why not, in the member's language (empty when eligible).
    reasons: tuple[str, ...]


class EligibilityTerms(DropTerms, Protocol):
    required_badge_id: int | None


def evaluate(
    member: Member,
    drop: EligibilityTerms,
    held_badge_ids: frozenset[int],
    badge_names: dict[int, str],
) -> Eligibility:
    """The member's eligibility for the drop given the badges they hold (no database)."""
    locale = member.locale
    reasons: list[str] = []
    if member.erased_at is not None:
        reasons.append(messages.message(locale, "erased"))
    if member.tier_level < drop.min_tier_level:
        reasons.append(messages.message(locale, "min_tier", level=drop.min_tier_level))
    badge_id = drop.required_badge_id
    if badge_id is not None and badge_id not in held_badge_ids:
        reasons.append(messages.message(locale, "badge", badge=badge_names.get(badge_id, "?")))
    return Eligibility(
        eligible=not reasons,
        opens_for_me_at=opens_for(drop, member.tier_level),
        reasons=tuple(reasons),
    )


async def eligibility_for_drops(
    member: Member, drops: Sequence[Drop], now: datetime
) -> dict[int, Eligibility]:
    """Eligibility of one member for several drops, in two queries whatever their number."""
    badge_ids = {d.required_badge_id for d in drops if d.required_badge_id is not None}
    held: frozenset[int] = frozenset()
    names: dict[int, str] = {}
    if badge_ids:
        held = frozenset(
            await MemberBadge.filter(member_id=member.id, badge_id__in=badge_ids).values_list(
                "badge_id", flat=True
            )
        )
        names = dict(await Badge.filter(id__in=badge_ids).values_list("id", "name"))
    return {d.id: evaluate(member, d, held, names) for d in drops}


async def eligibility(member: Member, drop: Drop, now: datetime) -> Eligibility:
    """Whether `member` may claim `drop`, when it opens for them, and why not."""
    return (await eligibility_for_drops(member, [drop], now))[drop.id]
