"""Awarding, exactly once: a badge per member, a challenge per member and period.

The unique constraints are the idempotency keys. Each insert runs in a savepoint so that a
duplicate (a redelivered event, a concurrent award, a back-fill) leaves the caller's
transaction usable on PostgreSQL; the loser awards nothing, credits nothing, emits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.achievements.events import BadgeEarned, ChallengeCompleted
from domain.achievements.models import Badge, ChallengeCompletion, MemberBadge
from domain.events import record_event
from domain.members.models import Member
from domain.points.crediting import Credited, credit_bonus
from domain.program import Program
from gamification.achievements.catalogue import IndexedBadge, IndexedChallenge


@dataclass
class Unlocked:
    """What awarding added up to within one evaluation."""

    badge_ids: list[int] = field(default_factory=list)
    challenge_ids: list[int] = field(default_factory=list)
    points: int = 0
    #: The tier a reward's points raised the member to, the highest when several did.
    new_tier_code: str | None = None

    def credited(self, credit: Credited | None) -> None:
        if credit is not None and credit.new_tier is not None:
            self.new_tier_code = credit.new_tier.code


def badge_reference(badge_id: int) -> str:
    """The ledger reference of a badge's reward points."""
    return f"badge:{badge_id}"


def challenge_reference(challenge_id: int, period_key: str) -> str:
    """The ledger reference of a challenge's reward points for one period."""
    return f"challenge:{challenge_id}:{period_key}"


async def award_badge(
    member_id: int,
    badge: IndexedBadge,
    now: datetime,
    unlocked: Unlocked,
    program: Program,
    *,
    holder: Member | None = None,
) -> bool:
    """Give `badge` to the member unless they hold it: credit the reward points (BONUS), emit
    BadgeEarned and note it in `unlocked`. Returns whether it was awarded now. `program`: the
    earning rules and tier ladder the reward points are credited with; `holder`: the member's
    locked row, when the caller holds it (see `credit_earned`).

    The caller then calls `count_holders(unlocked)` once, before its transaction ends."""
    try:
        async with in_transaction():
            await MemberBadge.create(member_id=member_id, badge_id=badge.id, earned_at=now)
    except IntegrityError:
        return False
    unlocked.credited(
        await credit_bonus(
            member_id,
            badge.reward_points,
            f"Badge: {badge.name}",
            badge_reference(badge.id),
            now,
            program,
            holder=holder,
        )
    )
    await record_event(
        BadgeEarned(
            member_id=member_id,
            badge_id=badge.id,
            badge_code=badge.code,
            badge_name=badge.name,
            points=badge.reward_points,
        ),
        now,
    )
    unlocked.badge_ids.append(badge.id)
    unlocked.points += badge.reward_points
    return True


async def count_holders(unlocked: Unlocked) -> None:
    """Add the badges awarded in `unlocked` to their holder counters: atomic increments, in
    badge id order, so that concurrent transactions awarding several badges never wait on
    each other in a cycle (a counter row stays locked until the transaction ends)."""
    awarded: dict[int, int] = {}
    for badge_id in unlocked.badge_ids:
        awarded[badge_id] = awarded.get(badge_id, 0) + 1
    for badge_id in sorted(awarded):
        await Badge.filter(id=badge_id).update(holders_count=F("holders_count") + awarded[badge_id])


async def complete_challenge(
    member_id: int,
    challenge: IndexedChallenge,
    period_key: str,
    now: datetime,
    unlocked: Unlocked,
    program: Program,
    *,
    holder: Member | None = None,
) -> bool:
    """Record the member's completion of `challenge` in the period `period_key` unless already
    recorded: credit its reward points (BONUS), emit ChallengeCompleted and award its reward
    badge. Returns whether it was completed now."""
    try:
        async with in_transaction():
            await ChallengeCompletion.create(
                member_id=member_id,
                challenge_id=challenge.id,
                period_key=period_key,
                completed_at=now,
                points=challenge.reward_points,
            )
    except IntegrityError:
        return False
    unlocked.credited(
        await credit_bonus(
            member_id,
            challenge.reward_points,
            f"Challenge: {challenge.title}",
            challenge_reference(challenge.id, period_key),
            now,
            program,
            holder=holder,
        )
    )
    await record_event(
        ChallengeCompleted(
            member_id=member_id,
            challenge_id=challenge.id,
            challenge_code=challenge.code,
            challenge_title=challenge.title,
            period_key=period_key,
            points=challenge.reward_points,
        ),
        now,
    )
    unlocked.challenge_ids.append(challenge.id)
    unlocked.points += challenge.reward_points
    if challenge.reward_badge is not None:
        await award_badge(member_id, challenge.reward_badge, now, unlocked, program, holder=holder)
    return True
