"""GraphQL types of webhooks (admin only): endpoints, event types and the delivery log."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.types.common import PageInfo
from webhooks.catalogue import EventType
from webhooks.deliveries import LogEntry
from webhooks.models import WebhookEndpoint as EndpointModel

DELIVERY_CURSOR = "webhook-delivery"


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Waiting for its first attempt or its next retry."
    )
    SENDING = strawberry.enum_value("SENDING", description="On its way now.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="The endpoint answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="No 2xx within the retry window: given up (replay it to retry)."
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED",
        description="Withdrawn before delivery: the member it is about erased their account.",
    )


@strawberry.type(description="A type of event an endpoint can subscribe to.")
class WebhookEventTypeInfo:
    name: str = strawberry.field(
        description='The name used in `eventTypes` and sent as `type`, e.g. "points.earned".'
    )
    description: str = strawberry.field(description="When it is sent.")

    @classmethod
    def from_type(cls, event_type: EventType) -> WebhookEventTypeInfo:
        return cls(name=event_type.name, description=event_type.description)


@strawberry.type(description="A URL of the shop's that receives events, signed with its secret.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where events are POSTed.")
    description: str = strawberry.field(description="The admin's note about it.")
    event_types: list[str] = strawberry.field(description="The event types it receives.")
    enabled: bool = strawberry.field(description="False: it receives nothing.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    secret_rotated_at: datetime | None = strawberry.field(
        description="When its secret was last replaced; null if never."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until when deliveries are also signed with the previous secret; null "
        "when they are not."
    )

    @classmethod
    def from_model(cls, endpoint: EndpointModel) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(str(endpoint.id)),
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types or []),
            enabled=endpoint.enabled,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
            secret_rotated_at=endpoint.secret_rotated_at,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
        )


@strawberry.type(description="One event sent (or to send) to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id (for replays).")
    event_id: str = strawberry.field(
        description="The event's id, sent as Fidelio-Event-Id: the same on every attempt and "
        "replay, and for every endpoint."
    )
    event_type: str = strawberry.field(description='The event\'s type, e.g. "points.earned".')
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Requests made so far, replays included.")
    response_status: int | None = strawberry.field(
        description="The HTTP status of the last answer; null when there was none (timeout, "
        "refused connection) or no attempt yet."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed; null after a success."
    )
    created_at: datetime = strawberry.field(description="When the event was queued for it.")
    last_attempt_at: datetime | None = strawberry.field(
        description="When the last attempt was made."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null when none is planned."
    )
    delivered_at: datetime | None = strawberry.field(description="When it got a 2xx.")
    replays: int = strawberry.field(description="How many times an admin replayed it.")

    @classmethod
    def from_entry(cls, entry: LogEntry) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(entry.id)),
            event_id=entry.event_id,
            event_type=entry.event_type,
            status=WebhookDeliveryStatus(entry.status.value),
            attempts=entry.attempts,
            response_status=entry.response_status,
            last_error=entry.last_error,
            created_at=entry.created_at,
            last_attempt_at=entry.last_attempt_at,
            next_attempt_at=entry.next_attempt_at,
            delivered_at=entry.delivered_at,
            replays=entry.replays,
        )


@strawberry.type(description="A delivery and its place in the log.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after it.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of an endpoint's delivery log, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The deliveries of the page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
