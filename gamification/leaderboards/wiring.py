"""How the app wires leaderboards: outbox handlers and scheduled jobs, as data.

`leaderboard_handlers(boards, clock)` maps event kinds to handlers; `leaderboard_jobs(boards)`
lists the jobs (name, how often, run(now) -> items handled) for the runtime's scheduler.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from domain.achievements.events import ChallengeCompleted
from domain.achievements.models import ChallengeCompletion
from domain.clock import Clock
from domain.events import DomainEvent
from domain.members.events import MemberErased, MemberMoved
from domain.outbox.dispatcher import Batched, Delivery
from domain.points.events import PointsEarned, PointsReversed
from domain.points.models import PointsEntry
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.purchases.models import Purchase
from domain.scheduling import ScheduledJob
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.closing import close_periods
from gamification.leaderboards.models import LeaderboardMetric
from gamification.leaderboards.scoring import (
    boards_ranking,
    erase_member_from_boards,
    refresh_member_scores,
    refresh_scores_of_batch,
)

PURCHASE_METRICS = (LeaderboardMetric.AMOUNT_SPENT, LeaderboardMetric.PURCHASES)
POINTS_METRICS = (LeaderboardMetric.POINTS_EARNED,)
CHALLENGE_METRICS = (LeaderboardMetric.CHALLENGES_COMPLETED,)


def leaderboard_handlers(boards: Boards, clock: Clock) -> dict[str, list[Delivery]]:
    """Outbox handlers that keep the boards' scores equal to the database's aggregates."""

    # Purchases and points earned come in batches (every purchase raises both): the boards
    # are read once per batch, and nothing more happens when none ranks these metrics.
    async def purchases_recorded(events: Sequence[DomainEvent]) -> None:
        definitions = await boards_ranking(PURCHASE_METRICS)
        scored = [(e.member_id, e.occurred_at) for e in events if isinstance(e, PurchaseRecorded)]
        await refresh_scores_of_batch(boards, scored, PURCHASE_METRICS, clock.now(), definitions)

    async def purchase_refunded(event: DomainEvent) -> None:
        assert isinstance(event, PurchaseRefunded)
        purchase = await Purchase.get_or_none(id=event.purchase_id)
        if purchase is not None:
            await refresh_member_scores(
                boards, event.member_id, PURCHASE_METRICS, purchase.occurred_at, clock.now()
            )

    async def points_changed(events: Sequence[DomainEvent]) -> None:
        definitions = await boards_ranking(POINTS_METRICS)
        if not definitions:
            return
        changes = [e for e in events if isinstance(e, PointsEarned | PointsReversed)]
        # Credits say when their entry was written; only reversals (and credits raised before
        # events carried it) need the ledger read.
        created = {
            e.entry_id: e.created_at
            for e in changes
            if isinstance(e, PointsEarned) and e.created_at is not None
        }
        unknown = [e.entry_id for e in changes if e.entry_id not in created]
        if unknown:
            created.update(await PointsEntry.filter(id__in=unknown).values_list("id", "created_at"))
        scored = [(e.member_id, created[e.entry_id]) for e in changes if e.entry_id in created]
        await refresh_scores_of_batch(boards, scored, POINTS_METRICS, clock.now(), definitions)

    async def challenge_completed(event: DomainEvent) -> None:
        assert isinstance(event, ChallengeCompleted)
        completion = await ChallengeCompletion.get_or_none(
            member_id=event.member_id,
            challenge_id=event.challenge_id,
            period_key=event.period_key,
        )
        if completion is not None:
            await refresh_member_scores(
                boards, event.member_id, CHALLENGE_METRICS, completion.completed_at, clock.now()
            )

    async def member_moved(event: DomainEvent) -> None:
        # The member's scores of the current periods move to their new region's boards (and
        # leave the old region's) now, not at their next scored activity.
        assert isinstance(event, MemberMoved)
        now = clock.now()
        await refresh_member_scores(
            boards, event.member_id, list(LeaderboardMetric), now, now, regional_only=True
        )

    async def member_erased(event: DomainEvent) -> None:
        assert isinstance(event, MemberErased)
        await erase_member_from_boards(boards, event.member_id, clock.now())

    return {
        PurchaseRecorded.kind: [Batched(purchases_recorded)],
        PurchaseRefunded.kind: [purchase_refunded],
        PointsEarned.kind: [Batched(points_changed)],
        PointsReversed.kind: [Batched(points_changed)],
        ChallengeCompleted.kind: [challenge_completed],
        MemberMoved.kind: [member_moved],
        MemberErased.kind: [member_erased],
    }


def leaderboard_jobs(boards: Boards) -> list[ScheduledJob]:
    """Close ended periods hourly (daily boards close at the program's midnight, so within an
    hour of it); the job is idempotent across runs and workers."""

    async def close(now: datetime) -> int:
        return await close_periods(boards, now)

    return [ScheduledJob("leaderboards.close_periods", timedelta(hours=1), close)]
