"""Scheduled jobs of the points ledger: expiring due credits and reminding members before.

Both are idempotent and safe to run from several workers at once: expiry consumes lots under
the member's lock with conditional updates, and each reminder is guarded by a unique marker.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from domain.events import record_event
from domain.points import ledger
from domain.points.events import PointsExpired, PointsExpiringSoon
from domain.points.models import PointsEntry, PointsExpiryReminder

BATCH = 500


async def expire_points(now: datetime, *, batch_size: int = BATCH) -> int:
    """Write an EXPIRE entry for each member with credits due to expire by `now`, consuming
    what is left of them, and raise `PointsExpired`. One transaction per member. Returns how
    many EXPIRE entries were written: running it again at the same `now` writes none."""
    written = 0
    after = 0
    while True:
        member_ids = (
            await PointsEntry.filter(
                remaining__gt=0, delta__gt=0, expires_at__lte=now, member_id__gt=after
            )
            .order_by("member_id")
            .distinct()
            .limit(batch_size)
            .values_list("member_id", flat=True)
        )
        if not member_ids:
            return written
        for member_id in member_ids:
            async with in_transaction():
                await ledger.lock_member(member_id)
                entry = await ledger.expire(member_id, now)
                if entry is not None:
                    await record_event(
                        PointsExpired(member_id=member_id, entry_id=entry.id, points=-entry.delta),
                        now,
                    )
                    written += 1
        after = member_ids[-1]


async def remind_expiring_points(now: datetime, within_days: int = 7) -> int:
    """Raise `PointsExpiringSoon` once per (member, expiry time) for spendable points that
    expire within `within_days`, remembering each reminder so reruns never send it again.
    Returns how many reminders were raised."""
    horizon = now + timedelta(days=within_days)
    batches = (
        await PointsEntry.filter(
            remaining__gt=0,
            delta__gt=0,
            available_at__lte=now,
            expires_at__gt=now,
            expires_at__lte=horizon,
            member__erased_at__isnull=True,
        )
        .annotate(points=Sum("remaining"))
        .group_by("member_id", "expires_at")
        .values("member_id", "expires_at", "points")
    )
    if not batches:
        return 0
    already = set(
        await PointsExpiryReminder.filter(
            member_id__in=list({b["member_id"] for b in batches}),
            expires_at__gt=now,
            expires_at__lte=horizon,
        ).values_list("member_id", "expires_at")
    )
    sent = 0
    for batch in sorted(batches, key=lambda b: (b["expires_at"], b["member_id"])):
        key = (batch["member_id"], batch["expires_at"])
        if key in already or not batch["points"]:
            continue
        async with in_transaction():
            try:
                async with in_transaction():
                    await PointsExpiryReminder.create(
                        member_id=batch["member_id"],
                        expires_at=batch["expires_at"],
                        points=int(batch["points"]),
                        sent_at=now,
                    )
            except IntegrityError:
                # Another worker reminded this batch a moment ago.
                continue
            await record_event(
                PointsExpiringSoon(
                    member_id=batch["member_id"],
                    points=int(batch["points"]),
                    expires_at=batch["expires_at"],
                ),
                now,
            )
            sent += 1
    return sent
