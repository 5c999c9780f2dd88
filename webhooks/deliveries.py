"""The delivery log admins read, and replays: the same event (same id, same body) once more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F

from domain.errors import NotEligible, NotFound
from webhooks.endpoints import get_endpoint
from webhooks.models import DeliveryStatus, WebhookDelivery

#: What a replay may send again: not what is on its way now, nor what erasure withdrew.
REPLAYABLE = (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class LogEntry:
    """One delivery as the log shows it."""

    id: int
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    replays: int


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    has_next_page: bool


_COLUMNS = (
    "id",
    "event_id",
    "event__type",
    "status",
    "attempts",
    "response_status",
    "last_error",
    "created_at",
    "last_attempt_at",
    "next_attempt_at",
    "delivered_at",
    "replays",
)


def _entry(row: dict[str, Any]) -> LogEntry:
    return LogEntry(
        id=row["id"],
        event_id=row["event_id"],
        event_type=row["event__type"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        response_status=row["response_status"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        last_attempt_at=row["last_attempt_at"],
        next_attempt_at=row["next_attempt_at"],
        delivered_at=row["delivered_at"],
        replays=row["replays"],
    )


async def delivery_log(
    endpoint_id: int,
    first: int,
    *,
    before_id: int | None = None,
    status: DeliveryStatus | None = None,
) -> LogPage:
    """A page of an endpoint's deliveries, newest first, in one query (after the endpoint's
    lookup). Raises `NotFound` on `["endpointId"]`."""
    await get_endpoint(endpoint_id, ["endpointId"])
    query = WebhookDelivery.filter(endpoint_id=endpoint_id)
    if status is not None:
        query = query.filter(status=status)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(first + 1).values(*_COLUMNS)
    entries = [_entry(row) for row in rows[:first]]
    return LogPage(entries=entries, has_next_page=len(rows) > first)


async def replay_delivery(delivery_id: int, now: datetime, retry_for: timedelta) -> LogEntry:
    """Send a delivery's event again (its id and body unchanged), now, with a fresh retry
    window. Raises `NotFound` on `["input", "id"]`, and `NotEligible` there when it is on its
    way now, was withdrawn (its member erased their account) or its endpoint is disabled."""
    field = ["input", "id"]
    delivery = await WebhookDelivery.filter(id=delivery_id).select_related("endpoint").first()
    if delivery is None:
        raise NotFound(f"no webhook delivery with id {delivery_id}", field)
    if not delivery.endpoint.enabled:
        raise NotEligible("the endpoint is disabled: enable it first", field)
    changed = await WebhookDelivery.filter(id=delivery_id, status__in=REPLAYABLE).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        give_up_at=now + retry_for,
        replays=F("replays") + 1,
    )
    if not changed:
        if delivery.status == DeliveryStatus.CANCELLED:
            raise NotEligible("withdrawn: the member it is about erased their account", field)
        raise NotEligible("this delivery is being sent right now", field)
    [row] = await WebhookDelivery.filter(id=delivery_id).values(*_COLUMNS)
    return _entry(row)


async def replay_failed(
    endpoint_id: int, since: datetime, now: datetime, retry_for: timedelta
) -> int:
    """Send again every FAILED delivery of the endpoint created at or after `since`; returns
    how many. Raises `NotFound` on `["input", "endpointId"]` and `NotEligible` there when the
    endpoint is disabled."""
    field = ["input", "endpointId"]
    endpoint = await get_endpoint(endpoint_id, field)
    if not endpoint.enabled:
        raise NotEligible("the endpoint is disabled: enable it first", field)
    return await WebhookDelivery.filter(
        endpoint_id=endpoint_id, status=DeliveryStatus.FAILED, created_at__gte=since
    ).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        give_up_at=now + retry_for,
        replays=F("replays") + 1,
    )
