"""Coupons at the checkout and after: looking one up, using it once, expiring, cancelling.

A coupon that ends unused (expired, cancelled) gives its stock back and, when the program says
so, its points: `ledger.return_debit` gives them back to the very lots that paid (a positive
REDEEM entry), so they keep their own expiry and redeeming cannot stretch the life of points
about to expire (points of a lot that expired meanwhile come back expired).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.audit import Actor, Snapshot, plain, record_change
from domain.errors import AlreadyUsed, Expired, InvalidCode, InvalidInput, NotFound
from domain.events import record_event
from domain.points import ledger
from domain.points.rules import earning_rules
from domain.rewards.catalogue import HELD_STATUSES
from domain.rewards.coupon_codes import stored_form
from domain.rewards.events import CouponCancelled, CouponExpired, CouponUsed
from domain.rewards.models import CouponStatus, Redemption, Reward
from domain.versions import ConfigPart, bump_version

ORDER_ID_MAX = 128
EXPIRY_BATCH = 200


async def find_coupon(code: str) -> Redemption | None:
    """The coupon with this code as typed at a checkout, or None (same for every wrong code)."""
    stored = stored_form(code)
    if stored is None:
        return None
    return await Redemption.get_or_none(code=stored)


async def use_coupon(
    code: str, order_id: str, now: datetime, actor: Actor | None = None
) -> Redemption:
    """Mark an active coupon USED for the shop's order, exactly once even under concurrency.

    Sending the same (code, order) again returns the coupon unchanged (a checkout retry). An
    admin's use (`actor`; the shop's backend passes none) is audited as `coupon.use`.
    Raises `InvalidCode` (unknown or cancelled), `AlreadyUsed` (used for another order),
    `Expired` (past its expiry) or `InvalidInput` (order id).
    """
    order = order_id.strip()
    if not order or len(order) > ORDER_ID_MAX:
        raise InvalidInput("an order id is 1-128 characters", ["input", "orderId"])
    stored = stored_form(code)
    if stored is None:
        raise _invalid_code()
    async with in_transaction():
        used = await Redemption.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            code=stored,
            status=CouponStatus.ACTIVE,
        ).update(status=CouponStatus.USED, used_at=now, used_order_id=order)
        redemption = await Redemption.get_or_none(code=stored)
        if redemption is None:
            raise _invalid_code()
        if used == 1:
            await record_event(
                CouponUsed(
                    member_id=redemption.member_id, redemption_id=redemption.id, order_id=order
                ),
                now,
            )
            if actor is not None:
                await _audit_use(actor, redemption, True, now)
            return redemption
    if redemption.status == CouponStatus.USED and redemption.used_order_id == order:
        if actor is not None:
            await _audit_use(actor, redemption, False, now)
        return redemption
    if redemption.status == CouponStatus.USED:
        raise AlreadyUsed("this coupon has already been used", ["input", "code"])
    if redemption.status_at(now) == CouponStatus.EXPIRED:
        raise Expired("this coupon has expired", ["input", "code"])
    raise _invalid_code()


async def _audit_use(actor: Actor, redemption: Redemption, changed: bool, now: datetime) -> None:
    """The use's entry; `changed` False: a retry, which changed nothing."""
    after: Snapshot = {
        "status": plain(redemption.status),
        "used_at": plain(redemption.used_at),
        "used_order_id": redemption.used_order_id,
    }
    unused = {"status": CouponStatus.ACTIVE.value, "used_at": None, "used_order_id": None}
    before: Snapshot = unused if changed else after
    await record_change(actor, "coupon.use", "coupon", redemption.code, before, after, now)


def _invalid_code() -> InvalidCode:
    return InvalidCode("this code is not a valid coupon", ["input", "code"])


async def expire_coupons(now: datetime, batch_size: int = EXPIRY_BATCH) -> int:
    """Mark every active coupon past its expiry EXPIRED and give its stock back, and its points
    when `EarningRules.refund_expired_coupons`. Idempotent: a coupon expires once, however
    often or concurrently the job runs. Returns how many coupons it expired."""
    refund = (await earning_rules()).refund_expired_coupons
    expired = 0
    last_id = 0
    while True:
        ids = await (
            Redemption.filter(status=CouponStatus.ACTIVE, expires_at__lte=now, id__gt=last_id)
            .order_by("id")
            .limit(batch_size)
            .values_list("id", flat=True)
        )
        if not ids:
            return expired
        for redemption_id in ids:
            if await _close(redemption_id, CouponStatus.EXPIRED, now, refund, "coupon expired"):
                expired += 1
        last_id = ids[-1]


async def cancel_coupon(redemption_id: int, now: datetime, reason: str) -> Redemption:
    """Cancel an active coupon (a support decision): its points and stock come back.

    Raises `NotFound` or `InvalidCode` when the coupon is no longer active.
    """
    if not await Redemption.exists(id=redemption_id):
        raise NotFound("no such coupon", ["redemptionId"])
    if not await _close(redemption_id, CouponStatus.CANCELLED, now, True, reason[:120]):
        raise InvalidCode("only an active coupon can be cancelled", ["redemptionId"])
    return await Redemption.get(id=redemption_id)


async def _close(
    redemption_id: int, status: CouponStatus, now: datetime, refund: bool, why: str
) -> bool:
    """End an active coupon unused, in one transaction. False when it was not active."""
    async with in_transaction():
        closing = Redemption.filter(id=redemption_id, status=CouponStatus.ACTIVE)
        if status == CouponStatus.EXPIRED:
            closing = closing.filter(expires_at__lte=now)
        if await closing.update(status=status, closed_at=now) != 1:
            return False
        redemption = await Redemption.get(id=redemption_id).select_related("reward")
        returned = await _return_points(redemption, now, why) if refund else 0
        if returned:
            await Redemption.filter(id=redemption_id).update(points_returned=returned)
        await _return_stock(redemption.reward)
        event: CouponExpired | CouponCancelled
        if status == CouponStatus.EXPIRED:
            event = CouponExpired(
                member_id=redemption.member_id,
                redemption_id=redemption.id,
                points_returned=returned,
            )
        else:
            event = CouponCancelled(
                member_id=redemption.member_id,
                redemption_id=redemption.id,
                points_returned=returned,
                reason=why,
            )
        await record_event(event, now)
        return True


async def _return_points(redemption: Redemption, now: datetime, why: str) -> int:
    if redemption.debit_entry_id is None:
        return 0
    await ledger.lock_member(redemption.member_id)
    entry = await ledger.return_debit(
        redemption.debit_entry_id,
        f"Points returned: {why}",
        now,
        reference=f"redemption:{redemption.id}",
    )
    return entry.delta


async def _return_stock(reward: Reward) -> None:
    """Recount the reward's remaining stock under its row lock (exact even when the admin
    lowered the stock below the coupons out)."""
    if reward.stock is None:
        return
    locked = await Reward.filter(id=reward.id).select_for_update().get()
    if locked.stock is None:
        return
    out = await Redemption.filter(reward_id=reward.id, status__in=HELD_STATUSES).count()
    await Reward.filter(id=reward.id).update(remaining_stock=max(0, locked.stock - out))
    await bump_version(ConfigPart.REWARDS)


async def coupons_of(
    member_ids: list[int], status: CouponStatus | None, now: datetime, limit: int
) -> dict[int, list[Redemption]]:
    """Each member's coupons, newest first, at most `limit` each, by their status as of `now`
    (an active coupon past its expiry counts as EXPIRED). One query for all the members."""
    query = Redemption.filter(member_id__in=member_ids)
    not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    if status == CouponStatus.ACTIVE:
        query = query.filter(not_expired, status=CouponStatus.ACTIVE)
    elif status == CouponStatus.EXPIRED:
        query = query.filter(
            Q(status=CouponStatus.EXPIRED)
            | (Q(status=CouponStatus.ACTIVE) & Q(expires_at__lte=now))
        )
    elif status is not None:
        query = query.filter(status=status)
    found: dict[int, list[Redemption]] = {m: [] for m in member_ids}
    for redemption in await query.order_by("-created_at", "-id"):
        mine = found[redemption.member_id]
        if len(mine) < limit:
            mine.append(redemption)
    return found
