"""The outbox handlers of referrals: completion on the first purchase, cancellation on its
refund. The app factory merges them into the dispatcher's wiring."""

from __future__ import annotations

from collections.abc import Sequence

from domain.activity import ActivityObserver
from domain.clock import Clock
from domain.events import DomainEvent
from domain.outbox.dispatcher import Batched, Delivery
from domain.program import ProgramCache
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.referrals.services import (
    cancel_referral_on_refund,
    complete_referral_on_first_purchase,
    members_with_applied_codes,
)


def referral_handlers(
    clock: Clock, observer: ActivityObserver, program: ProgramCache | None = None
) -> dict[str, list[Delivery]]:
    """`program`: the process's configuration cache (the runtime's)."""

    async def on_purchases(events: Sequence[DomainEvent]) -> None:
        # Only a first purchase can complete a referral: one query finds, for a whole batch,
        # the first purchases of members who applied a code.
        firsts = [e for e in events if isinstance(e, PurchaseRecorded) and e.first_purchase]
        if not firsts:
            return
        referred = await members_with_applied_codes([e.member_id for e in firsts])
        for event in firsts:
            if event.member_id in referred:
                await complete_referral_on_first_purchase(event, clock.now(), observer, program)

    async def on_refund(event: DomainEvent) -> None:
        assert isinstance(event, PurchaseRefunded)
        await cancel_referral_on_refund(event, clock.now())

    return {PurchaseRecorded.kind: [Batched(on_purchases)], PurchaseRefunded.kind: [on_refund]}
