"""The shop completes a drop purchase with the claim's coupon code.

A drop's code is `DR-` and 14 symbols grouped by four (`DR-7KQ2-XM9D-CT4B-HW`, from
`domain.codes`). Whatever the shop sends is reduced to its letters and digits, so
`dr 7kq2xm9dct4bhw` finds the same claim, and a text that cannot be a drop code is refused
before any query. The shop's coupon lookup and use are shared with rewards (codes `FD-`): a
code for which `is_drop_coupon_code` is true belongs here (`find_drop_claim_by_code`,
`complete_drop_claim`), any other to the rewards area.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.audit import Actor, Snapshot, plain, record_change
from domain.codes import read_code
from domain.drops.claims import COUPON_PREFIX
from domain.drops.events import DropClaimCompleted
from domain.drops.models import CancelReason, DropClaim, DropClaimStatus
from domain.errors import AlreadyUsed, Expired, InvalidCode, InvalidInput
from domain.events import record_event

MAX_ORDER_ID = 128


def stored_form(text: str) -> str | None:
    """The stored form of a typed drop code (`DR` prefix required), or None."""
    return read_code(text, COUPON_PREFIX)


def is_drop_coupon_code(code: str) -> bool:
    """Whether a code typed at checkout is a drop's (rather than a reward's)."""
    return stored_form(code) is not None


async def find_drop_claim_by_code(code: str) -> DropClaim | None:
    """The claim holding this coupon code (reserved, won, completed or released), if any."""
    stored = stored_form(code)
    if stored is None:
        return None
    return await DropClaim.get_or_none(coupon_code=stored).prefetch_related("drop")


async def complete_drop_claim(
    code: str, order_id: str, now: datetime, actor: Actor | None = None
) -> DropClaim:
    """Mark the reserved or won unit behind `code` as bought by the shop's `order_id`, once.
    An admin's completion (`actor`; the shop's backend passes none) is audited as
    `drop_claim.complete`.

    Completing again with the same order returns the claim unchanged. Raises InvalidCode (no
    such code, a lost raffle), AlreadyUsed (already used for another order) and Expired (the
    reservation ran out, or was released back to stock).
    """
    order_id = order_id.strip()
    if not 1 <= len(order_id) <= MAX_ORDER_ID:
        raise InvalidInput(f"must be 1-{MAX_ORDER_ID} characters", ["input", "orderId"])
    field = ["input", "code"]
    claim = await find_drop_claim_by_code(code)
    if claim is None or claim.status not in (
        DropClaimStatus.RESERVED,
        DropClaimStatus.WON,
        DropClaimStatus.CANCELLED,
    ):
        raise InvalidCode("this coupon code is not valid", field)
    async with in_transaction():
        # Conditional: completion and the release job race on the same row, one wins.
        completed = await DropClaim.filter(
            Q(reserved_until__isnull=True) | Q(reserved_until__gt=now),
            id=claim.id,
            status__in=[DropClaimStatus.RESERVED, DropClaimStatus.WON],
            completed_at__isnull=True,
        ).update(completed_at=now, order_id=order_id, updated_at=now)
        if completed:
            await record_event(
                DropClaimCompleted(
                    member_id=claim.member_id,
                    drop_id=claim.drop_id,
                    claim_id=claim.id,
                    order_id=order_id,
                ),
                now,
            )
            if actor is not None:
                await _audit(actor, claim, order_id, now, True, now)
    await claim.refresh_from_db()
    if completed or claim.order_id == order_id:
        if actor is not None and not completed:
            await _audit(actor, claim, order_id, claim.completed_at, False, now)
        return claim
    if claim.completed_at is not None:
        raise AlreadyUsed("this coupon has already been used", field)
    if claim.status == DropClaimStatus.CANCELLED and claim.cancel_reason != CancelReason.EXPIRED:
        raise InvalidCode("this coupon code is not valid", field)
    raise Expired("this reservation expired and the unit went back to stock", field)


async def _audit(
    actor: Actor,
    claim: DropClaim,
    order_id: str,
    completed_at: datetime | None,
    changed: bool,
    now: datetime,
) -> None:
    """The completion's entry; `changed` False: a retry, which changed nothing."""
    after: Snapshot = {"completed_at": plain(completed_at), "order_id": order_id}
    before: Snapshot = {"completed_at": None, "order_id": None} if changed else after
    target = claim.coupon_code or str(claim.id)
    await record_change(actor, "drop_claim.complete", "drop_claim", target, before, after, now)
