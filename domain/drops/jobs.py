"""Scheduled work of drops: releasing lapsed reservations and announcing openings.

Both are safe to run from several workers at once and as often as wanted: each change is a
conditional update of a marker (the claim's status, the drop's announcement time), so it
happens exactly once, together with its consequences, in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.drops.definition import MAX_EARLY_ACCESS_MINUTES
from domain.drops.events import DropOpened, DropReservationReleased
from domain.drops.models import CancelReason, Drop, DropClaim, DropClaimStatus
from domain.drops.rules import AnnouncePhase, due_announcements
from domain.events import record_event
from domain.points import ledger

BATCH = 200


async def release_expired_reservations(now: datetime, *, batch: int = BATCH) -> int:
    """Give every first-come reservation not completed by its `reserved_until` back: the unit
    to stock, the points to the member (the very lots that paid), the slot to the member.
    Each reservation is released exactly once however many jobs run. Returns how many."""
    released = 0
    while True:
        due = await (
            DropClaim.filter(
                status=DropClaimStatus.RESERVED,
                completed_at__isnull=True,
                reserved_until__lte=now,
            )
            .order_by("reserved_until", "id")
            .limit(batch)
            .values_list("id", "member_id", "drop_id", "points_entry_id", "points_spent")
        )
        for claim_id, member_id, drop_id, debit_id, points in due:
            if await _release(claim_id, member_id, drop_id, debit_id, points, now):
                released += 1
        if len(due) < batch:
            return released


async def _release(
    claim_id: int, member_id: int, drop_id: int, debit_id: int | None, points: int, now: datetime
) -> bool:
    async with in_transaction():
        # Member first, drop last: the same lock order as a claim, so the two never deadlock.
        await ledger.lock_member(member_id)
        cancelled = await DropClaim.filter(
            id=claim_id,
            status=DropClaimStatus.RESERVED,
            completed_at__isnull=True,
            reserved_until__lte=now,
        ).update(
            status=DropClaimStatus.CANCELLED,
            cancel_reason=CancelReason.EXPIRED,
            cancelled_at=now,
            slot=None,
            updated_at=now,
        )
        if not cancelled:
            return False  # completed, or released by another run meanwhile
        returned = 0
        if debit_id is not None:
            entry = await ledger.return_debit(
                debit_id,
                "Drop reservation expired: points returned",
                now,
                reference=f"drop-claim:{claim_id}",
            )
            returned = entry.delta
        await Drop.filter(id=drop_id).update(remaining=F("remaining") + 1)
        await record_event(
            DropReservationReleased(
                member_id=member_id, drop_id=drop_id, claim_id=claim_id, points_returned=returned
            ),
            now,
        )
    return True


async def announce_drops(now: datetime) -> list[DropOpened]:
    """Announce each drop's openings that have come: the early-access opening (for the early
    tiers) and then the general one, each once (DropOpened). Returns what it announced."""
    horizon = now + timedelta(minutes=MAX_EARLY_ACCESS_MINUTES)
    candidates = await Drop.filter(
        announce=True, announced_at__isnull=True, closes_at__gt=now, opens_at__lte=horizon
    ).order_by("opens_at", "id")
    announced: list[DropOpened] = []
    for drop in candidates:
        for phase in due_announcements(drop, now):
            marker = "early_announced_at" if phase.phase == AnnouncePhase.EARLY else "announced_at"
            async with in_transaction():
                first = await Drop.filter(id=drop.id, **{f"{marker}__isnull": True}).update(
                    **{marker: now}
                )
                if not first:
                    continue
                event = DropOpened(
                    drop_id=drop.id,
                    drop_code=drop.code,
                    title=drop.title,
                    opens_at=phase.opens_at,
                    early_access=phase.phase == AnnouncePhase.EARLY,
                    min_tier_level=phase.min_tier_level,
                )
                await record_event(event, now)
            announced.append(event)
    return announced
