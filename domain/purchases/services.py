"""Use cases of the purchases area: recording purchases and refunds from the shop.

Both are idempotent by the shop's id (order id, refund id): a unique constraint decides, the
insert runs in a savepoint and a lost race re-reads the winner, so that any number of retries,
sequential or concurrent, record the order (or refund) once and all get the first answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.activity import Activity, ActivityObserver, Awards, NoAchievements
from domain.errors import Duplicate, InvalidInput, NotFound
from domain.events import DomainEvent, record_event, record_events
from domain.members.models import Member
from domain.members.services import create_member
from domain.points import ledger
from domain.points.balances import PointsFigures
from domain.points.earning import category_weight, purchase_points, refund_points
from domain.points.events import PointsEarned, PointsReversed
from domain.points.models import EntryKind, PointsEntry
from domain.program import ProgramCache
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.purchases.models import Purchase, Refund
from domain.purchases.validation import (
    PurchaseInput,
    RefundInput,
    ValidPurchase,
    validate_purchase,
    validate_refund,
)
from domain.sql import Statement
from domain.tiers.models import Tier
from domain.tiers.qualification import standing
from domain.tiers.services import tier_held, upgrade_if_qualified


@dataclass(frozen=True)
class RecordedPurchase:
    purchase: Purchase
    member: Member
    awards: Awards
    #: True when the order had been recorded before: nothing was awarded this time.
    replayed: bool
    #: The tier ladder the purchase was recorded with (None on a replay).
    ladder: tuple[Tier, ...] | None = None
    #: The member's points as the purchase left them (None on a replay).
    points: PointsFigures | None = None


@dataclass(frozen=True)
class RecordedRefund:
    purchase: Purchase
    refund: Refund
    #: True when the refund had been recorded before: nothing was reversed this time.
    replayed: bool

    @property
    def points_reversed(self) -> int:
        return self.refund.points_reversed


def order_reference(order_id: str) -> str:
    return f"order:{order_id}"


async def record_purchase(
    purchase: PurchaseInput,
    now: datetime,
    *,
    program_currency: str,
    observer: ActivityObserver | None = None,
    program: ProgramCache | None = None,
) -> RecordedPurchase:
    """Record an order of the shop once and credit its points, pending until the return window
    (`pending_days` after the purchase) closes and expiring `expiry_days` after that, if set.

    A member seen for the first time is created. Points follow `domain.points.earning`
    (rounded down) with the tier the member held before the purchase; the achievement engine
    (`observer`) sees the purchase in the same transaction, and a tier the earned points now
    qualify for is granted at once. Recording an order id again returns the first result and
    awards nothing. `program` is the process's cache of the earning rules and tiers (default:
    read them).
    Raises `ValidationErrors` of `InvalidInput` with the fields at fault.
    """
    valid = validate_purchase(purchase, now, program_currency=program_currency)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _record_once(
                valid, now, observer or NoAchievements(), program or ProgramCache()
            )
        except IntegrityError:
            # Our transaction rolled back whole (nothing was awarded). Either the same order
            # id was committed meanwhile for another customer id, and the first one is the
            # answer, or the member was created meanwhile by another order: try again.
            replay = await _replay_purchase(valid.order_id)
            if replay is not None:
                return replay
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


#: Attempts of a purchase whose member creation lost a race.
ATTEMPTS = 3

_REPLAY_OR_FIRST = Statement("""
    SELECT (SELECT id FROM purchase WHERE order_id = $1) AS recorded_id,
        EXISTS (SELECT 1 FROM purchase WHERE member_id = $2) AS purchased_before
""")


async def _locked_member(customer_id: str, now: datetime) -> tuple[Member, bool]:
    """The member, locked, and whether they are new: one query for a known member, two on
    first sight (the new row is ours until commit, no lock needed)."""
    member = await Member.filter(customer_id=customer_id).select_for_update().first()
    if member is not None:
        return member, False
    return await create_member(customer_id, now), True


async def _record_once(
    valid: ValidPurchase,
    now: datetime,
    observer: ActivityObserver,
    program: ProgramCache,
) -> RecordedPurchase:
    async with in_transaction():
        member, new_member = await _locked_member(valid.customer_id, now)
        first_purchase = True
        if not new_member:
            # Under the member's lock, a retry of the same order sees the first one committed.
            seen = (await _REPLAY_OR_FIRST.rows(valid.order_id, member.id))[0]
            if seen["recorded_id"] is not None:
                replay = await _replay_purchase(valid.order_id)
                assert replay is not None
                return replay
            first_purchase = not seen["purchased_before"]
        config = await program.current()
        rules, ladder = config.rules, config.ladder
        multipliers = {k: Decimal(str(v)) for k, v in (rules.category_multipliers or {}).items()}
        points = purchase_points(
            valid.amount,
            Decimal(rules.points_per_currency_unit),
            category_weight(valid.items, multipliers),
            Decimal(tier_held(member, ladder).points_multiplier),
        )
        # The unique order id decides between concurrent retries for different customer ids
        # (retries for one customer already queue on the member's lock).
        row = await Purchase.create(**_purchase_values(valid, member, points, now))
        available_at = valid.occurred_at + timedelta(days=rules.pending_days)
        events: list[DomainEvent] = []
        if points > 0:
            entry = await ledger.credit(
                member.id,
                points,
                EntryKind.EARN,
                f"Purchase {valid.order_id}",
                now,
                available_at=available_at,
                expires_at=(
                    available_at + timedelta(days=rules.expiry_days)
                    if rules.expiry_days is not None
                    else None
                ),
                reference=order_reference(valid.order_id),
            )
            events.append(
                PointsEarned(
                    member_id=member.id,
                    entry_id=entry.id,
                    points=points,
                    entry_kind=EntryKind.EARN.value,
                    reference=entry.reference,
                    available_at=available_at,
                )
            )
        events.append(
            PurchaseRecorded(
                member_id=member.id,
                purchase_id=row.id,
                order_id=row.order_id,
                amount=valid.amount,
                currency=valid.currency,
                channel=valid.channel.value,
                store_code=valid.store_code,
                categories=valid.categories,
                occurred_at=valid.occurred_at,
                points_earned=points,
                first_purchase=first_purchase,
            )
        )
        await record_events(events, now)
        unlocked = await observer.observe(
            Activity(
                member_id=member.id,
                kind="PURCHASE",
                occurred_at=valid.occurred_at,
                reference=order_reference(valid.order_id),
                amount=valid.amount,
                points=points,
                categories=frozenset(valid.categories),
                channel=valid.channel.value,
                store_code=valid.store_code,
            ),
            now,
            versions=config.versions,
        )
        # After the engine: bonus points it credited count towards the tier too. The same
        # read gives the member's points for the payload.
        after = await standing(member.id, now, rules.tier_window_months)
        new_tier = await upgrade_if_qualified(
            member, now, ladder=ladder, qualifying=after.qualifying_points
        )
        awards = (
            Awards(points_awarded=points)
            .merge(unlocked)
            .merge(Awards(new_tier_code=new_tier.code if new_tier else None))
        )
        if awards != Awards(points_awarded=points):
            # Only what a retry could not work out from the purchase itself is kept.
            row.awards = _awards_json(awards)
            await Purchase.filter(id=row.id).update(awards=row.awards)
    return RecordedPurchase(
        purchase=row,
        member=member,
        awards=awards,
        replayed=False,
        ladder=ladder,
        points=after.figures,
    )


def _purchase_values(
    valid: ValidPurchase, member: Member, points: int, now: datetime
) -> dict[str, Any]:
    return {
        "order_id": valid.order_id,
        "member_id": member.id,
        "amount": valid.amount,
        "currency": valid.currency,
        "channel": valid.channel,
        "store_code": valid.store_code,
        "occurred_at": valid.occurred_at,
        "recorded_at": now,
        "points_earned": points,
        "categories": list(valid.categories),
        "items": [
            {
                "sku": item.sku,
                "category": item.category,
                "quantity": item.quantity,
                "unitPrice": str(item.unit_price),
            }
            for item in valid.items
        ],
    }


def _awards_json(awards: Awards) -> dict[str, Any]:
    return {
        "badge_ids": list(awards.badge_ids),
        "challenge_ids": list(awards.challenge_ids),
        "new_tier_code": awards.new_tier_code,
        "points_awarded": awards.points_awarded,
    }


def _awards_from_json(data: dict[str, Any] | None, purchase: Purchase) -> Awards:
    if not data:
        return Awards(points_awarded=purchase.points_earned)
    return Awards(
        badge_ids=[int(i) for i in data.get("badge_ids", [])],
        challenge_ids=[int(i) for i in data.get("challenge_ids", [])],
        new_tier_code=data.get("new_tier_code"),
        points_awarded=int(data.get("points_awarded", 0)),
    )


async def _replay_purchase(order_id: str) -> RecordedPurchase | None:
    row = await Purchase.get_or_none(order_id=order_id)
    if row is None:
        return None
    member = await Member.get(id=row.member_id)
    return RecordedPurchase(
        purchase=row, member=member, awards=_awards_from_json(row.awards, row), replayed=True
    )


async def record_refund(refund: RefundInput, now: datetime) -> RecordedRefund:
    """Record a refund of (part of) an order once and take back the points of the refunded
    share (`domain.points.earning.refund_points`, rounded down on the running total).

    The order's own credits pay first, pending or not, then the member's other spendable
    points; what they cannot cover is recorded as the refund's shortfall, never as a negative
    balance. Recording a refund id again returns the first result and reverses nothing.
    Raises `ValidationErrors` (bad input), `NotFound` (unknown order), `InvalidInput` (more
    than is left to refund) and `Duplicate` (the refund id belongs to another order).
    """
    valid = validate_refund(refund)
    replay = await _replay_refund(valid)
    if replay is not None:
        return replay
    purchase = await Purchase.get_or_none(order_id=valid.order_id)
    if purchase is None:
        raise NotFound(f"no purchase with order id '{valid.order_id}'", ["input", "orderId"])
    async with in_transaction():
        await ledger.lock_member(purchase.member_id)
        replay = await _replay_refund(valid)
        if replay is not None:
            return replay
        purchase = await Purchase.get(id=purchase.id)
        before = Decimal(purchase.refunded_amount)
        left = Decimal(purchase.amount) - before
        if valid.amount > left:
            raise InvalidInput(
                f"the refund exceeds what is left to refund of the order ({left})",
                ["input", "amount"],
            )
        after = before + valid.amount
        try:
            async with in_transaction():
                row = await Refund.create(
                    refund_id=valid.refund_id,
                    purchase_id=purchase.id,
                    amount=valid.amount,
                    created_at=now,
                )
        except IntegrityError:
            replay = await _replay_refund(valid)
            if replay is None:
                raise
            return replay
        # Conditional on the amount read under the lock: a refund never exceeds the order.
        updated = await Purchase.filter(id=purchase.id, refunded_amount=before).update(
            refunded_amount=after
        )
        if updated != 1:
            raise InvalidInput("the order was refunded concurrently, retry", ["input", "amount"])
        purchase.refunded_amount = after
        demand = refund_points(purchase.points_earned, Decimal(purchase.amount), before, after)
        if demand > 0:
            entry = await _reverse(purchase, valid, demand, now)
            row.points_reversed = -entry.delta
            row.points_shortfall = entry.shortfall
            await Refund.filter(id=row.id).update(
                points_reversed=row.points_reversed, points_shortfall=row.points_shortfall
            )
        await record_event(
            PurchaseRefunded(
                member_id=purchase.member_id,
                purchase_id=purchase.id,
                order_id=purchase.order_id,
                refund_id=row.refund_id,
                amount=valid.amount,
                points_reversed=row.points_reversed,
                fully_refunded=after == Decimal(purchase.amount),
            ),
            now,
        )
    return RecordedRefund(purchase=purchase, refund=row, replayed=False)


async def _reverse(
    purchase: Purchase, refund: RefundInput, points: int, now: datetime
) -> PointsEntry:
    reference = order_reference(purchase.order_id)
    order_credits = await PointsEntry.filter(
        member_id=purchase.member_id, kind=EntryKind.EARN, reference=reference, delta__gt=0
    ).values_list("id", flat=True)
    entry = await ledger.debit(
        purchase.member_id,
        points,
        EntryKind.REVERSAL,
        f"Refund {refund.refund_id} of order {purchase.order_id}",
        now,
        reference=reference,
        prefer_credits=list(order_credits),
        allow_shortfall=True,
    )
    await record_event(
        PointsReversed(
            member_id=purchase.member_id,
            entry_id=entry.id,
            points=-entry.delta,
            shortfall=entry.shortfall,
            reference=reference,
        ),
        now,
    )
    return entry


async def _replay_refund(refund: RefundInput) -> RecordedRefund | None:
    row = await Refund.get_or_none(refund_id=refund.refund_id)
    if row is None:
        return None
    purchase = await Purchase.get(id=row.purchase_id)
    if purchase.order_id != refund.order_id:
        raise Duplicate(
            f"refund id '{refund.refund_id}' was recorded for another order",
            ["input", "refundId"],
        )
    return RecordedRefund(purchase=purchase, refund=row, replayed=True)
