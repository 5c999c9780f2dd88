"""Scheduled jobs of the points ledger: expiring due credits and reminding members before.

Both are idempotent and safe to run from several workers at once: expiry consumes lots under
the member's lock with conditional updates, and each reminder is guarded by a unique marker.
Reminders read only the members whose batches changed since the last run (a watermark).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.events import record_event
from domain.points import ledger
from domain.points.events import PointsExpired, PointsExpiringSoon
from domain.points.models import PointsEntry, PointsExpiryReminder
from domain.watermarks import read_watermark, save_watermark

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


#: The watermark of the reminder job (`domain.watermarks`).
REMINDER_JOB = "expiry-reminders"
#: Entries written this long before the last run are read again (a transaction that set its
#: time before the last run and committed after it read).
LATE_COMMIT_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class ReminderRun:
    """What a reminder run did: whether it read every batch, the members it looked at (None:
    all), and how many reminders it raised."""

    full: bool
    members: tuple[int, ...] | None
    sent: int


async def remind_expiring_points(now: datetime, within_days: int = 7) -> int:
    """The scheduled job: `remind_changes`; returns how many reminders were raised."""
    return (await remind_changes(now, within_days)).sent


async def remind_changes(now: datetime, within_days: int = 7) -> ReminderRun:
    """Raise `PointsExpiringSoon` once per (member, expiry time) for spendable points that
    expire within `within_days`, remembering each reminder so reruns never send it again.

    A batch becomes due when its expiry comes within `within_days` (an expiry after the last
    run's horizon), when its points become spendable (`available_at` since the last run), or
    when an entry of the member is written (a credit, or a return giving points back to old
    lots). So a run looks at the members with such a change since the last run, three
    index ranges of the ledger, not at every batch of the coming week; the first run, or one
    with another `within_days`, looks at every batch.
    """
    horizon = now + timedelta(days=within_days)
    fingerprint = f"within={within_days}"
    mark = await read_watermark(REMINDER_JOB)
    full = mark is None or mark.fingerprint != fingerprint or mark.done_until > now
    due = PointsEntry.filter(
        remaining__gt=0,
        delta__gt=0,
        available_at__lte=now,
        expires_at__gt=now,
        expires_at__lte=horizon,
        member__erased_at__isnull=True,
    )
    members: list[int] | None = None
    if not full:
        assert mark is not None
        since = mark.done_until - LATE_COMMIT_MARGIN
        last_horizon = mark.done_until + timedelta(days=within_days)
        changed: set[int] = set()
        for query in (
            due.filter(expires_at__gt=last_horizon),
            due.filter(available_at__gt=since),
            PointsEntry.filter(created_at__gt=since, created_at__lte=now),
        ):
            changed.update(await query.distinct().values_list("member_id", flat=True))
        members = sorted(changed)
        due = due.filter(member_id__in=members)
    sent = 0
    if members is None or members:
        sent = await _remind(due, now, horizon)
    await save_watermark(REMINDER_JOB, now, fingerprint)
    return ReminderRun(full=full, members=None if members is None else tuple(members), sent=sent)


async def _remind(due: QuerySet[PointsEntry], now: datetime, horizon: datetime) -> int:
    batches = (
        await due.annotate(points=Sum("remaining"))
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
