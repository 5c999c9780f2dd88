"""Setting up members with points and rewards for the rewards and referrals tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.points import ledger
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.purchases.models import Channel, Purchase, Refund
from domain.rewards.catalogue import RewardSpec, upsert_reward
from domain.rewards.models import Reward, RewardKind


async def member_with_points(
    customer_id: str, points: int, now: datetime, *, tier_level: int = 0
) -> Member:
    member = await get_or_create_member(customer_id, now)
    if points:
        await ledger.credit(member.id, points, EntryKind.EARN, "test points", now)
    if tier_level:
        await Member.filter(id=member.id).update(tier_level=tier_level)
        member.tier_level = tier_level
    return member


async def reward(now: datetime, **changes: object) -> Reward:
    values: dict[str, object] = {
        "code": "TEN-OFF",
        "name": "10% off",
        "description": "Ten percent off your next order",
        "kind": RewardKind.PERCENT_DISCOUNT,
        "cost_points": 100,
        "value": Decimal("10"),
    }
    created, _ = await upsert_reward(RewardSpec(**{**values, **changes}), now)  # type: ignore[arg-type]
    return created


async def balance(member: Member, now: datetime) -> int:
    return (await ledger.summary(member.id, now)).balance


async def ledger_rows(member: Member) -> list[tuple[str, int, int]]:
    return [
        (e.kind.value, e.delta, e.remaining)
        for e in await PointsEntry.filter(member_id=member.id).order_by("id")
    ]


async def purchase(
    member: Member,
    order_id: str,
    occurred_at: datetime,
    amount: Decimal = Decimal("50.00"),
) -> PurchaseRecorded:
    """Record a purchase row as the purchases area would, and the event it would emit."""
    first = not await Purchase.exists(member_id=member.id)
    row = await Purchase.create(
        order_id=order_id,
        member_id=member.id,
        amount=amount,
        currency="EUR",
        channel=Channel.APP,
        occurred_at=occurred_at,
        recorded_at=occurred_at,
        points_earned=int(amount),
        categories=["shoes"],
    )
    return PurchaseRecorded(
        member_id=member.id,
        purchase_id=row.id,
        order_id=order_id,
        amount=amount,
        currency="EUR",
        channel="APP",
        store_code=None,
        categories=("shoes",),
        occurred_at=occurred_at,
        points_earned=int(amount),
        first_purchase=first,
    )


async def refund(
    recorded: PurchaseRecorded, refund_id: str, at: datetime, amount: Decimal | None = None
) -> PurchaseRefunded:
    """Record a refund row as the purchases area would, and the event it would emit."""
    amount = recorded.amount if amount is None else amount
    await Refund.create(
        refund_id=refund_id, purchase_id=recorded.purchase_id, amount=amount, created_at=at
    )
    await Purchase.filter(id=recorded.purchase_id).update(refunded_amount=amount)
    return PurchaseRefunded(
        member_id=recorded.member_id,
        purchase_id=recorded.purchase_id,
        order_id=recorded.order_id,
        refund_id=refund_id,
        amount=amount,
        points_reversed=0,
        fully_refunded=amount == recorded.amount,
    )
