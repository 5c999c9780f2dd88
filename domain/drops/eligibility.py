"""Who may claim a drop, and from when.

A member is eligible when their account is active, their current tier level is at least the
drop's minimum, they hold the required badge, if any, and they belong to the drop's segment,
if any (as of `now`, by the segments area's own evaluator), and their spendable balance covers
the drop's points price, if any (a member told "eligible" must not then be refused for want of
points). Eligibility is about the member, not the window: whether the drop is open or sold out
is told by `status` and by the claim's own errors.
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
from domain.points.balances import figures
from domain.segments.models import Segment
from domain.segments.services import member_in_segment


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    #: When the drop opens for this member (earlier with early access).
    opens_for_me_at: datetime
    #: Why not, in the member's language (empty when eligible).
    reasons: tuple[str, ...]


class EligibilityTerms(DropTerms, Protocol):
    required_badge_id: int | None
    segment_code: str | None
    price_points: int


def evaluate(
    member: Member,
    drop: EligibilityTerms,
    held_badge_ids: frozenset[int],
    badge_names: dict[int, str],
    in_segments: frozenset[str] = frozenset(),
    segment_names: dict[str, str] | None = None,
    balance: int | None = None,
) -> Eligibility:
    """The member's eligibility for the drop given the badges they hold, the segments they
    belong to and their spendable `balance` (None: the price is not considered) (no
    database)."""
    locale = member.locale
    reasons: list[str] = []
    if member.erased_at is not None:
        reasons.append(messages.message(locale, "erased"))
    if member.tier_level < drop.min_tier_level:
        reasons.append(messages.message(locale, "min_tier", level=drop.min_tier_level))
    badge_id = drop.required_badge_id
    if badge_id is not None and badge_id not in held_badge_ids:
        reasons.append(messages.message(locale, "badge", badge=badge_names.get(badge_id, "?")))
    segment = drop.segment_code
    if segment is not None and segment not in in_segments:
        name = (segment_names or {}).get(segment, segment)
        reasons.append(messages.message(locale, "segment", segment=name))
    if balance is not None and drop.price_points > balance:
        reasons.append(
            messages.message(
                locale, "insufficient_points", price=drop.price_points, balance=balance
            )
        )
    return Eligibility(
        eligible=not reasons,
        opens_for_me_at=opens_for(drop, member.tier_level),
        reasons=tuple(reasons),
    )


async def eligibility_for_drops(
    member: Member,
    drops: Sequence[Drop],
    now: datetime,
    *,
    counting_price: bool = True,
    balance: int | None = None,
) -> dict[int, Eligibility]:
    """Eligibility of one member for several drops: two queries for badges, one per distinct
    segment and one for the balance (when a drop has a price and `balance`, read already,
    is not given), whatever the number of drops. `counting_price=False` leaves the price out
    (the claim, whose debit is the authority and answers INSUFFICIENT_POINTS)."""
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
    codes = sorted({d.segment_code for d in drops if d.segment_code is not None})
    in_segments: set[str] = set()
    segment_names: dict[str, str] = {}
    if codes:
        segment_names = dict(await Segment.filter(code__in=codes).values_list("code", "name"))
        for code in codes:
            # A segment removed since the drop was defined admits nobody.
            if code in segment_names and await member_in_segment(code, member.id, now):
                in_segments.add(code)
    if not counting_price:
        balance = None
    elif balance is None and any(d.price_points > 0 for d in drops):
        balance = (await figures([member.id], now))[member.id].balance
    return {
        d.id: evaluate(member, d, held, names, frozenset(in_segments), segment_names, balance)
        for d in drops
    }


async def eligibility(member: Member, drop: Drop, now: datetime) -> Eligibility:
    """Whether `member` meets the drop's conditions (the price aside: the claim's debit checks
    it under the member's lock), when it opens for them, and why not."""
    return (await eligibility_for_drops(member, [drop], now, counting_price=False))[drop.id]
