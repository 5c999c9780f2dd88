"""Builders for the leaderboard tests: members, and the database rows (with their outbox
events) that the shop's purchases, refunds, the ledger and the achievement engine write."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.achievements.events import ChallengeCompleted
from domain.achievements.models import Challenge, ChallengeCompletion
from domain.events import record_event
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.points import ledger
from domain.points.events import PointsEarned, PointsReversed
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.purchases.models import Channel, Purchase, Refund

_orders = count(1)


async def member(customer_id: str, now: datetime, **profile: str | None) -> Member:
    created = await get_or_create_member(customer_id, now)
    if profile:
        await Member.filter(id=created.id).update(**profile)
        await created.refresh_from_db()
    return created


async def purchase(
    who: Member, amount: str | Decimal, at: datetime, recorded_at: datetime | None = None
) -> Purchase:
    """A purchase as the shop records it: the row and its PurchaseRecorded event."""
    order_id = f"order-{next(_orders)}"
    recorded = recorded_at or at
    async with in_transaction():
        row = await Purchase.create(
            order_id=order_id,
            member_id=who.id,
            amount=Decimal(amount),
            currency="EUR",
            channel=Channel.APP,
            occurred_at=at,
            recorded_at=recorded,
        )
        await record_event(
            PurchaseRecorded(
                member_id=who.id,
                purchase_id=row.id,
                order_id=order_id,
                amount=Decimal(amount),
                currency="EUR",
                channel="APP",
                store_code=None,
                categories=(),
                occurred_at=at,
                points_earned=0,
                first_purchase=False,
            ),
            recorded,
        )
    return row


async def refund(bought: Purchase, amount: str | Decimal, at: datetime) -> Refund:
    async with in_transaction():
        row = await Refund.create(
            refund_id=f"refund-{next(_orders)}",
            purchase_id=bought.id,
            amount=Decimal(amount),
            created_at=at,
        )
        await Purchase.filter(id=bought.id).update(
            refunded_amount=F("refunded_amount") + Decimal(amount)
        )
        await bought.refresh_from_db()
        await record_event(
            PurchaseRefunded(
                member_id=bought.member_id,  # type: ignore[attr-defined]
                purchase_id=bought.id,
                order_id=bought.order_id,
                refund_id=row.refund_id,
                amount=Decimal(amount),
                points_reversed=0,
                fully_refunded=bought.refunded_amount >= bought.amount,
            ),
            at,
        )
    return row


async def earn(
    who: Member, points: int, at: datetime, kind: EntryKind = EntryKind.EARN
) -> PointsEntry:
    async with in_transaction():
        entry = await ledger.credit(who.id, points, kind, "test credit", at, reference=None)
        await record_event(
            PointsEarned(
                member_id=who.id,
                entry_id=entry.id,
                points=points,
                entry_kind=kind.value,
                reference=None,
                available_at=at,
            ),
            at,
        )
    return entry


async def reverse(who: Member, points: int, at: datetime) -> PointsEntry:
    async with in_transaction():
        entry = await ledger.debit(
            who.id, points, EntryKind.REVERSAL, "test reversal", at, allow_shortfall=True
        )
        await record_event(
            PointsReversed(
                member_id=who.id,
                entry_id=entry.id,
                points=-entry.delta,
                shortfall=0,
                reference=None,
            ),
            at,
        )
    return entry


async def challenge(code: str, now: datetime) -> Challenge:
    return await Challenge.create(
        code=code,
        title=f"Challenge {code}",
        description="",
        starts_at=now - timedelta(days=60),
        ends_at=now + timedelta(days=60),
        recurrence="DAILY",
        goal={},
        created_at=now,
        updated_at=now,
    )


async def complete(who: Member, goal: Challenge, at: datetime) -> ChallengeCompletion:
    period_key = at.date().isoformat()
    async with in_transaction():
        row = await ChallengeCompletion.create(
            member_id=who.id, challenge_id=goal.id, period_key=period_key, completed_at=at
        )
        await record_event(
            ChallengeCompleted(
                member_id=who.id,
                challenge_id=goal.id,
                challenge_code=goal.code,
                challenge_title=goal.title,
                period_key=period_key,
                points=0,
            ),
            at,
        )
    return row
