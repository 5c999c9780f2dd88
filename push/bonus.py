"""Bonus points handed out by push (promotions, campaigns, birthdays, win-backs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.outbox.models import OutboxEvent
from domain.points.events import PointsEarned
from domain.points.models import EntryKind, PointsEntry
from domain.program import read_program
from domain.tiers.services import upgrade_many_on_credit

MAX_BONUS_POINTS = 100_000


async def award_bonus_to_many(
    member_ids: list[int], points: int, description: str, reference: str, now: datetime
) -> int:
    """BONUS points (as `domain.points.crediting.credit_bonus`) for a batch of members in a
    constant number of queries (campaigns, birthdays, win-backs, anniversaries): the entries,
    their PointsEarned events, and the tier upgrades they bring, in bulk
    (`domain.tiers.services.upgrade_many_on_credit`). Runs in the caller's transaction, which
    owns the idempotency of (member, reference)."""
    if not member_ids or points <= 0:
        return 0
    program = await read_program()
    rules = program.rules
    expires_at = now + timedelta(days=rules.expiry_days) if rules.expiry_days else None
    await PointsEntry.bulk_create(
        [
            PointsEntry(
                member_id=member_id,
                kind=EntryKind.BONUS,
                delta=points,
                remaining=points,
                description=description[:200],
                created_at=now,
                available_at=now,
                expires_at=expires_at,
                reference=reference,
            )
            for member_id in member_ids
        ]
    )
    entries = await PointsEntry.filter(
        member_id__in=member_ids, reference=reference, kind=EntryKind.BONUS
    ).values_list("id", "member_id")
    events = [
        PointsEarned(
            member_id=member_id,
            entry_id=entry_id,
            points=points,
            entry_kind=EntryKind.BONUS.value,
            reference=reference,
            available_at=now,
            created_at=now,
        )
        for entry_id, member_id in entries
    ]
    await OutboxEvent.bulk_create(
        [
            OutboxEvent(
                kind=event.kind,
                payload=event.to_payload(),
                created_at=now,
                available_at=now,
            )
            for event in events
        ]
    )
    await upgrade_many_on_credit(
        member_ids, now, window_months=rules.tier_window_months, ladder=program.ladder
    )
    return len(events)
