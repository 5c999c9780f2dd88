"""The outbox handlers of webhooks: each domain event becomes one webhook event and one
delivery per enabled endpoint subscribed to its type; an erasure withdraws and redacts what
is about the member.

They run inside the dispatcher's transaction, which also marks the outbox rows delivered, so
an outbox event fans out exactly once (a failure rolls both back). They only write rows:
the HTTP calls are the sender's, after commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.clock import Clock
from domain.events import DomainEvent
from domain.members.events import MemberErased
from domain.outbox.dispatcher import Batched, Delivery
from webhooks.catalogue import EVENT_TYPES, PERSONAL_KEYS, EventType, customers_of
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.signing import new_event_id

ERASED_ERROR = "withdrawn: the member erased their account"


def render_body(event_id: str, type_name: str, created_at: datetime, data: dict[str, Any]) -> str:
    """The JSON body the shop receives (compact; signed byte for byte as stored)."""
    document = {
        "id": event_id,
        "type": type_name,
        "createdAt": created_at.isoformat(),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


async def fan_out(
    event_type: EventType, events: Sequence[DomainEvent], now: datetime, retry_for: timedelta
) -> int:
    """Write the webhook events and deliveries of a batch of one domain kind; returns how
    many deliveries. Costs one query when no enabled endpoint wants the type."""
    endpoints = [
        endpoint_id
        for endpoint_id, types in await WebhookEndpoint.filter(enabled=True).values_list(
            "id", "event_types"
        )
        if event_type.name in (types or [])
    ]
    if not endpoints or not events:
        return 0
    member_ids = {m for event in events for m in event_type.members(event)}
    outgoing = await event_type.describe(events, await customers_of(member_ids))
    if not outgoing:
        return 0
    rows = []
    for item in outgoing:
        event_id = new_event_id()
        rows.append(
            WebhookEvent(
                id=event_id,
                type=item.type,
                created_at=now,
                member_id=item.member_id,
                related_member_id=item.related_member_id,
                body=render_body(event_id, item.type, now, item.data),
            )
        )
    await WebhookEvent.bulk_create(rows)
    deliveries = [
        WebhookDelivery(
            event_id=row.id,
            endpoint_id=endpoint_id,
            status=DeliveryStatus.PENDING,
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + retry_for,
        )
        for row in rows
        for endpoint_id in endpoints
    ]
    await WebhookDelivery.bulk_create(deliveries)
    return len(deliveries)


async def withdraw_member(member_id: int, now: datetime) -> int:
    """Nothing about an erased member leaves any more: their deliveries not yet delivered
    are cancelled (one in flight finishes, its outcome is ignored), and the stored bodies of
    all their events, delivered ones included, lose the customer id. Returns how many
    deliveries were withdrawn."""
    rows = await WebhookEvent.filter(member_id=member_id).values(
        "id", "body", "member_id", "related_member_id"
    )
    rows += await WebhookEvent.filter(related_member_id=member_id).values(
        "id", "body", "member_id", "related_member_id"
    )
    if not rows:
        return 0
    ids = list({row["id"] for row in rows})
    withdrawn = await WebhookDelivery.filter(
        event_id__in=ids,
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED),
    ).update(
        status=DeliveryStatus.CANCELLED, claim=None, next_attempt_at=None, last_error=ERASED_ERROR
    )
    for row in rows:
        roles = {
            role
            for role, holder in (
                ("subject", row["member_id"]),
                ("related", row["related_member_id"]),
            )
            if holder == member_id
        }
        document = json.loads(row["body"])
        data = document.get("data") or {}
        for key, role in PERSONAL_KEYS.items():
            if role in roles and key in data:
                data[key] = None
        await WebhookEvent.filter(id=row["id"]).update(
            body=json.dumps(document, separators=(",", ":"), ensure_ascii=False), redacted_at=now
        )
    return withdrawn


def webhook_handlers(clock: Clock, retry_for: timedelta) -> dict[str, list[Delivery]]:
    """{domain event kind: [handler]} for the dispatcher: one batched fan-out per type, and
    the erasure."""

    def fan_out_of(event_type: EventType) -> Batched:
        async def handle(events: Sequence[DomainEvent]) -> None:
            await fan_out(event_type, events, clock.now(), retry_for)

        return Batched(handle)

    async def member_erased(event: DomainEvent) -> None:
        assert isinstance(event, MemberErased)
        await withdraw_member(event.member_id, clock.now())

    handlers: dict[str, list[Delivery]] = {t.kind: [fan_out_of(t)] for t in EVENT_TYPES}
    handlers[MemberErased.kind] = [member_erased]
    return handlers
