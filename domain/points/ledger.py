"""The ledger's primitives: credit, debit (oldest spendable credits first) and the summary.

Callers run these inside their use case's transaction after locking the member
(`lock_member`), so that two debits of one member never interleave and a balance can never go
negative, whatever runs concurrently.

Definitions, as of `now`:
- spendable credit: `available_at <= now` and (`expires_at` is null or `> now`);
- balance: the sum of `remaining` over spendable credits;
- pending: the sum of `remaining` over credits with `available_at > now`;
- lifetime earned: every credit ever made, minus reversals (points taken back by refunds).
  Points given back by `return_debit` (a cancelled redemption) were never earned: not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.functions import Sum

from domain.errors import InsufficientPoints, InvalidInput
from domain.members.models import Member
from domain.points.models import EntryKind, PointsAllocation, PointsEntry

CREDIT_KINDS = frozenset(
    {EntryKind.EARN, EntryKind.BONUS, EntryKind.REFERRAL, EntryKind.ENGAGEMENT, EntryKind.ADJUST}
)
EXPIRING_SOON_DAYS = 30


@dataclass(frozen=True)
class PointsExpiry:
    points: int
    expires_at: datetime


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    pending: int
    lifetime_earned: int
    expiring_soon: tuple[PointsExpiry, ...]


async def lock_member(member_id: int) -> Member:
    """Lock the member's row until the transaction ends (a no-op lock on SQLite, whose
    transactions are already exclusive)."""
    return await Member.filter(id=member_id).select_for_update().get()


def _spendable(now: datetime) -> Q:
    return Q(available_at__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


async def credit(
    member_id: int,
    points: int,
    kind: EntryKind,
    description: str,
    now: datetime,
    *,
    available_at: datetime | None = None,
    expires_at: datetime | None = None,
    reference: str | None = None,
    actor: str | None = None,
) -> PointsEntry:
    """Add a lot of `points`, spendable from `available_at` (default: now) until `expires_at`."""
    if points <= 0:
        raise InvalidInput("a credit must be positive")
    return await PointsEntry.create(
        member_id=member_id,
        kind=kind,
        delta=points,
        remaining=points,
        description=description[:200],
        created_at=now,
        available_at=available_at or now,
        expires_at=expires_at,
        reference=reference,
        actor=actor,
    )


async def debit(
    member_id: int,
    points: int,
    kind: EntryKind,
    description: str,
    now: datetime,
    *,
    reference: str | None = None,
    actor: str | None = None,
    from_credits: Sequence[int] | None = None,
    include_pending: bool = False,
    allow_shortfall: bool = False,
    prefer_credits: Sequence[int] | None = None,
) -> PointsEntry:
    """Take `points` from the member's credits, oldest first, recording which lots paid.

    By default only spendable credits pay. `from_credits` restricts (and orders first) the lots
    to take from, e.g. the credits of one order for a refund; `include_pending` lets pending
    lots pay too (a refund cancels pending points first). `prefer_credits` names lots that pay
    first, pending or not (the credits of a refunded order), before the other lots allowed.
    Raises `InsufficientPoints` when the lots do not hold enough, unless `allow_shortfall`, in
    which case what is missing is recorded as the entry's `shortfall` (a balance never goes
    negative).
    """
    if points <= 0:
        raise InvalidInput("a debit must be positive")
    lots = PointsEntry.filter(member_id=member_id, remaining__gt=0, delta__gt=0)
    if from_credits is not None:
        lots = lots.filter(id__in=list(from_credits))
    preferred: list[PointsEntry] = []
    if prefer_credits:
        preferred_ids = list(prefer_credits)
        preferred = await (
            PointsEntry.filter(member_id=member_id, remaining__gt=0, delta__gt=0)
            .filter(id__in=preferred_ids)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .order_by("available_at", "id")
        )
        lots = lots.exclude(id__in=preferred_ids)
    if include_pending:
        lots = lots.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    else:
        lots = lots.filter(_spendable(now))
    candidates = [*preferred, *await lots.order_by("available_at", "id")]
    available = sum(c.remaining for c in candidates)
    if available < points and not allow_shortfall:
        raise InsufficientPoints(f"{points} points needed, {available} available")
    taken = min(points, available)
    entry = await PointsEntry.create(
        member_id=member_id,
        kind=kind,
        delta=-taken,
        remaining=0,
        shortfall=points - taken,
        description=description[:200],
        created_at=now,
        reference=reference,
        actor=actor,
    )
    still = taken
    allocations = []
    for lot in candidates:
        if still == 0:
            break
        part = min(lot.remaining, still)
        # Conditional update: a lot is never consumed below zero, even by a caller that
        # forgot to lock the member.
        updated = await PointsEntry.filter(id=lot.id, remaining__gte=part).update(
            remaining=F("remaining") - part
        )
        if updated != 1:
            raise InsufficientPoints("points were spent concurrently")
        allocations.append(PointsAllocation(debit_id=entry.id, credit_id=lot.id, points=part))
        still -= part
    if allocations:
        await PointsAllocation.bulk_create(allocations)
    return entry


async def return_debit(
    debit_id: int,
    description: str,
    now: datetime,
    *,
    reference: str | None = None,
    actor: str | None = None,
) -> PointsEntry:
    """Give a debit's points back to the very lots that paid for it (a cancelled redemption).

    Each lot gets back what it gave, so the points keep their own expiry (points whose lot
    expired meanwhile come back expired, as if never spent). The return is an entry of the
    debit's kind with a positive delta and no lot of its own, allocated negatively against the
    lots, so that `remaining == delta - sum(allocations)` still holds for every credit. The
    caller locks the member and makes sure a debit is returned once (e.g. by a conditional
    update of what the debit paid for).
    """
    debit_entry = await PointsEntry.get(id=debit_id)
    if debit_entry.delta >= 0:
        raise InvalidInput("only a debit can be returned")
    paid = await PointsAllocation.filter(debit_id=debit_id, points__gt=0).order_by("id")
    returned = sum(a.points for a in paid)
    entry = await PointsEntry.create(
        member_id=debit_entry.member_id,
        kind=debit_entry.kind,
        delta=returned,
        remaining=0,
        description=description[:200],
        created_at=now,
        reference=reference,
        actor=actor,
    )
    for allocation in paid:
        await PointsEntry.filter(id=allocation.credit_id).update(
            remaining=F("remaining") + allocation.points
        )
    if paid:
        await PointsAllocation.bulk_create(
            [
                PointsAllocation(debit_id=entry.id, credit_id=a.credit_id, points=-a.points)
                for a in paid
            ]
        )
    return entry


async def summary(member_id: int, now: datetime) -> PointsSummary:
    """Balance, pending, lifetime earned and the next expiries, derived from the ledger."""
    open_lots = await PointsEntry.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        member_id=member_id,
        remaining__gt=0,
        delta__gt=0,
    ).values("remaining", "available_at", "expires_at")
    balance = sum(r["remaining"] for r in open_lots if r["available_at"] <= now)
    pending = sum(r["remaining"] for r in open_lots if r["available_at"] > now)
    horizon = now + timedelta(days=EXPIRING_SOON_DAYS)
    expiring: dict[datetime, int] = {}
    for r in open_lots:
        if r["expires_at"] is not None and r["expires_at"] <= horizon:
            expiring[r["expires_at"]] = expiring.get(r["expires_at"], 0) + r["remaining"]
    rows = (
        await PointsEntry.filter(member_id=member_id)
        .annotate(
            credited=Sum("delta", _filter=Q(delta__gt=0, kind__in=list(CREDIT_KINDS))),
            reversed=Sum("delta", _filter=Q(kind=EntryKind.REVERSAL)),
        )
        .values("credited", "reversed")
    )
    credited = int(rows[0]["credited"] or 0) if rows else 0
    reversed_ = int(rows[0]["reversed"] or 0) if rows else 0
    return PointsSummary(
        balance=balance,
        pending=pending,
        lifetime_earned=credited + reversed_,
        expiring_soon=tuple(
            PointsExpiry(points=p, expires_at=at) for at, p in sorted(expiring.items()) if p > 0
        ),
    )


async def expire(member_id: int, now: datetime) -> PointsEntry | None:
    """Write one EXPIRE entry consuming whatever is left of the member's credits due to expire
    by `now`; None when nothing is due (so running it again changes nothing)."""
    due = await PointsEntry.filter(
        member_id=member_id, remaining__gt=0, delta__gt=0, expires_at__lte=now
    ).order_by("expires_at", "id")
    if not due:
        return None
    total = sum(lot.remaining for lot in due)
    entry = await PointsEntry.create(
        member_id=member_id,
        kind=EntryKind.EXPIRE,
        delta=-total,
        remaining=0,
        description="Points expired",
        created_at=now,
        reference=f"expiry:{now.date().isoformat()}",
    )
    allocations = []
    for lot in due:
        updated = await PointsEntry.filter(id=lot.id, remaining=lot.remaining).update(remaining=0)
        if updated != 1:
            raise InsufficientPoints("points were spent concurrently")
        allocations.append(
            PointsAllocation(debit_id=entry.id, credit_id=lot.id, points=lot.remaining)
        )
    await PointsAllocation.bulk_create(allocations)
    return entry
