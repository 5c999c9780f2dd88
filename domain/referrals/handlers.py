"""The outbox handlers of referrals: completion on the first purchase, cancellation on its
refund. The app factory merges them into the dispatcher's wiring."""

from __future__ import annotations

from domain.activity import ActivityObserver
from domain.clock import Clock
from domain.events import DomainEvent
from domain.outbox.dispatcher import Handler
from domain.purchases.events import PurchaseRecorded, PurchaseRefunded
from domain.referrals.services import (
    cancel_referral_on_refund,
    complete_referral_on_first_purchase,
)


def referral_handlers(clock: Clock, observer: ActivityObserver) -> dict[str, list[Handler]]:
    async def on_purchase(event: DomainEvent) -> None:
        assert isinstance(event, PurchaseRecorded)
        await complete_referral_on_first_purchase(event, clock.now(), observer)

    async def on_refund(event: DomainEvent) -> None:
        assert isinstance(event, PurchaseRefunded)
        await cancel_referral_on_refund(event, clock.now())

    return {PurchaseRecorded.kind: [on_purchase], PurchaseRefunded.kind: [on_refund]}
