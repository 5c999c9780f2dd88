"""Builders shared by the drops integration tests: members with points, drops, snapshots."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.activity import Activity, Awards
from domain.drops.definition import DropInput, upsert_drop
from domain.drops.models import Drop, DropClaim
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry

#: The drops in these tests open at this moment.
OPENS = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(hours=2)
BEFORE = OPENS - timedelta(days=1)


def drop_input(**changes: Any) -> DropInput:
    base = DropInput(
        code="SNEAKER-24",
        title="Limited sneaker",
        description="Numbered pair, 24 made.",
        opens_at=OPENS,
        closes_at=CLOSES,
        quantity=10,
        price_points=100,
    )
    return replace(base, **changes)


async def make_drop(**changes: Any) -> Drop:
    return await upsert_drop(drop_input(**changes), BEFORE)


async def make_member(
    customer_id: str, points: int = 0, *, tier_level: int = 0, locale: str = "en"
) -> Member:
    member = await get_or_create_member(customer_id, BEFORE)
    if tier_level or locale != "en":
        await Member.filter(id=member.id).update(tier_level=tier_level, locale=locale)
        member.tier_level, member.locale = tier_level, locale
    if points:
        await ledger.credit(member.id, points, EntryKind.EARN, "purchase", BEFORE)
    return member


async def make_members(prefix: str, count: int, points: int) -> list[Member]:
    """Many members with `points` each, in a few statements."""
    await Member.bulk_create(
        [
            Member(
                customer_id=f"{prefix}{i:05}",
                referral_code=f"{prefix[:4]}{i:05}",
                joined_at=BEFORE,
            )
            for i in range(count)
        ]
    )
    members = await Member.filter(customer_id__startswith=prefix).order_by("id")
    await PointsEntry.bulk_create(
        [
            PointsEntry(
                member_id=m.id,
                kind=EntryKind.EARN,
                delta=points,
                remaining=points,
                description="purchase",
                created_at=BEFORE,
                available_at=BEFORE,
            )
            for m in members
        ]
    )
    return members


async def balance(member: Member, at: datetime = OPENS) -> int:
    return (await ledger.summary(member.id, at)).balance


async def event_kinds() -> list[str]:
    return list(await OutboxEvent.all().order_by("id").values_list("kind", flat=True))


async def events_of(kind: str) -> list[dict[str, Any]]:
    return list(
        await OutboxEvent.filter(kind=kind).order_by("id").values_list("payload", flat=True)
    )


@dataclass(frozen=True)
class Snapshot:
    """Everything a claim could change, to prove that a failed one changed nothing."""

    remaining: int
    claims: int
    entries: int
    events: int


async def snapshot(drop: Drop) -> Snapshot:
    fresh = await Drop.get(id=drop.id)
    return Snapshot(
        remaining=fresh.remaining,
        claims=await DropClaim.all().count(),
        entries=await PointsEntry.all().count(),
        events=await OutboxEvent.all().count(),
    )


class RecordingObserver:
    """An achievement engine stand-in that records what it was shown."""

    def __init__(self) -> None:
        self.activities: list[Activity] = []

    async def observe(self, activity: Activity, now: datetime, **_: object) -> Awards:
        self.activities.append(activity)
        return Awards(badge_ids=[42])
