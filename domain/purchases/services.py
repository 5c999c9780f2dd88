"""Use cases of the purchases area: recording purchases and refunds from the shop.

Both are idempotent by the shop's id (order id, refund id): a unique constraint decides, the
insert runs in a savepoint and a lost race re-reads the winner, so that any number of retries,
sequential or concurrent, record the order (or refund) once and all get the first answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.activity import ActivityObserver, Awards, NoAchievements
from domain.errors import Duplicate, InvalidInput, NotFound
from domain.events import DomainEvent, record_event, record_events
from domain.members.events import MemberCreated
from domain.members.models import Member
from domain.members.services import create_member
from domain.points import ledger
from domain.points.balances import PointsFigures
from domain.points.earning import refund_points
from domain.points.events import PointsEarned, PointsReversed
from domain.points.models import EntryKind, PointsEntry
from domain.program import ProgramCache
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.purchases.models import Purchase, Refund
from domain.purchases.plan import PurchasePlan, order_reference, plan_purchase
from domain.purchases.validation import (
    PurchaseInput,
    RefundInput,
    ValidPurchase,
    validate_purchase,
    validate_refund,
)
from domain.sql import Statement, dialect
from domain.tiers.models import Tier
from domain.tiers.qualification import (
    STANDING_COLUMNS,
    standing,
    standing_of_row,
    window_start,
)
from domain.tiers.services import Placement, credit_placement, hold
from domain.versions import VERSION_COLUMNS, Versions, read_versions, versions_in


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
    awards nothing; another order under a recorded id (customer, amount or currency) raises
    `Duplicate`. `program` is the process's cache of the earning rules and tiers (default:
    read them).
    Raises `ValidationErrors` of `InvalidInput` with the fields at fault.
    """
    valid = validate_purchase(purchase, now, program_currency=program_currency)
    program = program or ProgramCache()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _record_once(valid, now, observer or NoAchievements(), program)
        except IntegrityError:
            # Our transaction rolled back whole (nothing was awarded). Either the same order
            # id was committed meanwhile (the first one is the answer, or Duplicate when it
            # was another order), or the member was created meanwhile by another order: try
            # again.
            replay = await replayed_purchase(valid)
            if replay is not None:
                return replay
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


#: Attempts of a purchase whose member creation lost a race.
ATTEMPTS = 3

#: Under the member's lock: whether the order was recorded already, whether the member bought
#: before, and their standing before this purchase ($1 now, $2 the tier window's start).
_REPLAY_FIRST_AND_STANDING = Statement(f"""
    SELECT (SELECT id FROM purchase WHERE order_id = $4) AS recorded_id,
        EXISTS (SELECT 1 FROM purchase WHERE member_id = $3) AS purchased_before,
        {STANDING_COLUMNS}
    FROM points_entry WHERE member_id = $3
""")

#: PostgreSQL: the purchase (with its awards, $18, when its own credit lifts the tier), its
#: credit, the member's tier placement ($19 and $20 when $21) and its events (MemberCreated
#: when $23 is one, PointsEarned, PurchaseRecorded, TierChanged when $22 is one) in one
#: statement (data-modifying CTEs). The events' payloads come from the events themselves,
#: with the new ids set in SQL.
_WRITE_PURCHASE = Statement("""
    WITH purchase_row AS (
        INSERT INTO purchase (order_id, member_id, amount, refunded_amount, currency, channel,
            store_code, occurred_at, recorded_at, points_earned, categories, items, awards)
        VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $18::jsonb)
        RETURNING id
    ), credit AS (
        INSERT INTO points_entry (member_id, kind, delta, remaining, shortfall, description,
            created_at, available_at, expires_at, reference)
        SELECT $2, 'EARN', $9, $9, 0, $12, $8, $13, $14, $15 WHERE $9 > 0
        RETURNING id
    ), placed AS (
        UPDATE member SET tier_code = $19, tier_level = $20, inputs_changed_at = $8
        WHERE id = $2 AND $21
    ), events AS (
        INSERT INTO outbox_event (kind, payload, created_at, available_at, attempts)
        SELECT 'MemberCreated', $23::jsonb, $8, $8, 0 WHERE $23::jsonb IS NOT NULL
        UNION ALL
        SELECT 'PointsEarned', $16::jsonb || jsonb_build_object('entry_id', credit.id), $8, $8, 0
        FROM credit
        UNION ALL
        SELECT 'PurchaseRecorded', $17::jsonb || jsonb_build_object('purchase_id', purchase_row.id),
            $8, $8, 0
        FROM purchase_row
        UNION ALL
        SELECT 'TierChanged', $22::jsonb, $8, $8, 0 WHERE $22::jsonb IS NOT NULL
    )
    SELECT (SELECT id FROM purchase_row) AS purchase_id, (SELECT id FROM credit) AS entry_id
""")


#: The member of a customer id with the configuration's versions (`VERSION_COLUMNS`).
_MEMBER = f"SELECT member.*, {VERSION_COLUMNS} FROM member WHERE customer_id = $1"
#: SQLite's transactions are exclusive already; it has no row locks.
_LOCKED_MEMBER = {"postgres": Statement(_MEMBER + " FOR UPDATE"), "sqlite": Statement(_MEMBER)}
#: PostgreSQL: the member locked, then (in the function's second statement, whose snapshot
#: follows the lock) what `_REPLAY_FIRST_AND_STANDING` reads, with the configuration's
#: versions, in one round trip (migration 0013_purchase_start); $1 the customer id, $2 the
#: order id, $3 now, $4 the tier window's start. No row: no such member.
_LOCKED_MEMBER_AND_STANDING = Statement(f"""
    SELECT (s.holder).*, {VERSION_COLUMNS}, s.recorded_id, s.purchased_before, s.balance,
        s.pending, s.credited, s.reversed, s.qualifying
    FROM fidelio_purchase_start($1, $2, $3, $4) s
""")


@dataclass
class _Start:
    """What a purchase reads first, under the member's lock."""

    member: Member
    new_member: bool
    versions: Versions
    #: The member's standing before the purchase (with the order's recorded id and whether
    #: they bought before) when it was read with the member, for a tier window of `months`.
    seen: dict[str, Any] | None = None
    months: int | None = None


async def _start(customer_id: str, order_id: str, now: datetime, program: ProgramCache) -> _Start:
    """The member, locked, whether they are new, and the configuration's versions: one query
    for a known member (on PostgreSQL with the standing before the purchase, for the tier
    window of the earning rules this process last read), three on first sight (the new row is
    ours until commit, no lock needed). Written out (see `domain.sql`): tortoise builds the
    row as its own queries do."""
    kept = program.kept_rules()
    if dialect() == "postgres" and kept is not None:
        months = kept[1].tier_window_months
        found = await _LOCKED_MEMBER_AND_STANDING.headed(
            Member, customer_id, order_id, now, window_start(now, months)
        )
        if found is not None:
            member, rows = found
            return _Start(member, False, versions_in(rows[0]), dict(rows[0]), months)
    else:
        found = await _LOCKED_MEMBER[dialect()].headed(Member, customer_id)
        if found is not None:
            member, rows = found
            return _Start(member, False, versions_in(rows[0]))
    versions = await read_versions()
    return _Start(await create_member(customer_id, now, record=False), True, versions)


async def _record_once(
    valid: ValidPurchase,
    now: datetime,
    observer: ActivityObserver,
    program: ProgramCache,
) -> RecordedPurchase:
    async with in_transaction():
        start = await _start(valid.customer_id, valid.order_id, now, program)
        member, new_member, versions = start.member, start.new_member, start.versions
        # The configuration as of the versions read with the member (from memory, unless a
        # part changed since this process last read it: then read again, here).
        config = await program.current(versions)
        rules, ladder = config.rules, config.ladder
        first_purchase = True
        before = standing_of_row(None)
        if not new_member:
            # Under the member's lock, a retry of the same order sees the first one committed.
            seen = start.seen
            if seen is None or start.months != rules.tier_window_months:
                seen = (
                    await _REPLAY_FIRST_AND_STANDING.rows(
                        now, window_start(now, rules.tier_window_months), member.id, valid.order_id
                    )
                )[0]
            if seen["recorded_id"] is not None:
                replay = await replayed_purchase(valid)
                assert replay is not None
                return replay
            first_purchase = not seen["purchased_before"]
            before = standing_of_row(seen)
        plan = plan_purchase(
            valid, rules, ladder, member, before, first_purchase=first_purchase, now=now
        )
        after = plan.after
        # Tier qualification observes this credit as it does every other (see
        # domain.points.crediting, `upgrade_on_credit`), here without a read (the standing
        # before plus the credit) and written with the purchase.
        placed = credit_placement(member, ladder, after.qualifying_points) if plan.points else None
        new_tier = placed.tier if placed is not None and placed.upgrade else None
        points = plan.points
        written = Awards(points_awarded=points, new_tier_code=new_tier.code if new_tier else None)
        # The unique order id decides between concurrent retries for different customer ids
        # (retries for one customer already queue on the member's lock).
        row = await _write_purchase(plan, member, now, placed, written, new_member=new_member)
        unlocked = await observer.observe(plan.activity(member.id), now, versions=config.versions)
        if unlocked.points_awarded:
            # Reward points the engine credited (they upgraded the tier themselves, if at all):
            # only then is the standing read again.
            after = await standing(member.id, now, rules.tier_window_months)
        if unlocked.new_tier_code is not None:
            _hold(member, ladder, unlocked.new_tier_code)
        awards = written.merge(unlocked)
        if awards != written:
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


def _hold(member: Member, ladder: tuple[Tier, ...], code: str) -> None:
    """Bring the in-memory row up to a tier a nested credit moved the member to."""
    for tier in ladder:
        if tier.code == code:
            member.tier_code, member.tier_level = tier.code, tier.level


async def _write_purchase(
    plan: PurchasePlan,
    member: Member,
    now: datetime,
    placed: Placement | None,
    awards: Awards,
    *,
    new_member: bool,
) -> Purchase:
    """Insert the purchase (with `awards` when a retry could not work them out from the
    purchase itself), its credit (EARN, when it earned points), the member's tier `placed`
    and its events (MemberCreated for a `new_member`, PointsEarned, PurchaseRecorded,
    TierChanged) as `plan` says: one statement on PostgreSQL, one per row kind on SQLite,
    which has no data-modifying CTEs. Raises IntegrityError for a known order id. `member` is
    brought up to `placed`."""
    valid, points = plan.purchase, plan.points
    available_at, expires_at = plan.available_at, plan.expires_at
    values = _purchase_values(valid, member, points, now)
    # Only what a retry could not work out from the purchase itself is kept.
    values["awards"] = _awards_json(awards) if awards != Awards(points_awarded=points) else None
    reference = order_reference(valid.order_id)
    description = f"Purchase {valid.order_id}"
    earned = PointsEarned(
        member_id=member.id,
        entry_id=0,
        points=points,
        entry_kind=EntryKind.EARN.value,
        reference=reference,
        available_at=available_at,
        created_at=now,
    )
    recorded = PurchaseRecorded(
        member_id=member.id,
        purchase_id=0,
        order_id=valid.order_id,
        amount=valid.amount,
        currency=valid.currency,
        channel=valid.channel.value,
        store_code=valid.store_code,
        categories=valid.categories,
        occurred_at=valid.occurred_at,
        points_earned=points,
        first_purchase=plan.first_purchase,
    )
    tier_changed = placed.event if placed is not None else None
    created = MemberCreated(member_id=member.id) if new_member else None
    if dialect() != "postgres":
        row = await Purchase.create(**values)
        events: list[DomainEvent] = [created] if created is not None else []
        if points > 0:
            entry = await ledger.credit(
                member.id, points, EntryKind.EARN, description, now,
                available_at=available_at, expires_at=expires_at, reference=reference,
            )  # fmt: skip
            events.append(replace(earned, entry_id=entry.id))
        events.append(replace(recorded, purchase_id=row.id))
        if placed is not None:
            await Member.filter(id=member.id).update(
                tier_code=placed.tier.code, tier_level=placed.tier.level, inputs_changed_at=now
            )
            hold(member, placed, now)
            if tier_changed is not None:
                events.append(tier_changed)
        await record_events(events, now)
        return row
    params = (
        valid.order_id, member.id, valid.amount, valid.currency, valid.channel.value,
        valid.store_code, valid.occurred_at, now, points,
        json.dumps(values["categories"]), json.dumps(values["items"]),
        description[:200], available_at, expires_at, reference,
        json.dumps(earned.to_payload()), json.dumps(recorded.to_payload()),
        None if values["awards"] is None else json.dumps(values["awards"]),
        placed.tier.code if placed else None, placed.tier.level if placed else None,
        placed is not None,
        None if tier_changed is None else json.dumps(tier_changed.to_payload()),
        None if created is None else json.dumps(created.to_payload()),
    )  # fmt: skip
    ids = (await _WRITE_PURCHASE.rows(*params))[0]
    if placed is not None:
        hold(member, placed, now)
    row = Purchase(**values)
    row.id = ids["purchase_id"]
    return row


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


async def replayed_purchase(valid: ValidPurchase) -> RecordedPurchase | None:
    """The first answer for the order's id if it was recorded already (None: not recorded).

    A retry sends the same order again. Another order under a used id (another customer,
    amount or currency) is a mistake on the shop's side that answering with the first order
    would hide: it raises `Duplicate` instead. The customer is not compared once the member
    who bought was erased (their customer id is gone with them)."""
    row = await Purchase.get_or_none(order_id=valid.order_id)
    if row is None:
        return None
    member = await Member.get(id=row.member_id)
    if (
        (member.customer_id is not None and member.customer_id != valid.customer_id)
        or Decimal(row.amount) != valid.amount
        or row.currency != valid.currency
    ):
        raise Duplicate(
            f"order id '{valid.order_id}' was recorded already for another customer, amount "
            "or currency",
            ["input", "orderId"],
        )
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
    than is left to refund) and `Duplicate` (the refund id belongs to another order or
    amount).
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
    if purchase.order_id != refund.order_id or Decimal(row.amount) != refund.amount:
        # A retry sends the same refund again; another one under a used id is a mistake on
        # the shop's side that answering with the first refund would hide.
        raise Duplicate(
            f"refund id '{refund.refund_id}' was recorded already for another order or amount",
            ["input", "refundId"],
        )
    return RecordedRefund(purchase=purchase, refund=row, replayed=True)
