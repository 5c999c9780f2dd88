"""The delivery worker: due pushes go out through the gateway, at least once, never twice.

One round of `deliver_due_pushes`:
1. Queue: due notifications (PENDING, or HELD whose quiet hours ended) get one `PushDelivery`
   per device of the member (unique per notification and device), after a last look at the
   member's preferences (push turned off meanwhile: SKIPPED).
2. Claim: up to `batch` due deliveries are marked SENDING with this round's claim, in a
   committed transaction, before anything is sent. Workers never claim the same row (the
   claim is a conditional update; PostgreSQL also skips rows locked by another worker).
3. Send through the gateway (which batches: FCM takes 500 per call), outside any transaction.
4. Record each outcome: SENT; UNREGISTERED or INVALID removes the device; RETRY goes again
   after `domain.retry.backoff_delay` (never sooner than the service's Retry-After), until
   `max_attempts`, then FAILED; a notification is settled once none of its deliveries is open.

A worker that dies between 2 and 4 leaves claimed rows; another worker takes them over after
`lease`, so nothing is lost. Those few may reach the phone twice: each message carries the
notification as collapse key, so the phone shows it once.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.members.models import Device
from domain.retry import backoff_delay
from domain.sql import Statement, dialect, for_ids
from push.gateway import PushGateway, PushMessage, SendOutcome, SendResult
from push.notifications.models import (
    OPEN_DELIVERY_STATUSES,
    DeliveryStatus,
    Notification,
    PushDelivery,
    PushStatus,
)
from push.notifications.preferences import preferences_of_many

logger = logging.getLogger("fidelio.push")

_ERROR_MAX = 500


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard the worker tries: `max_attempts` sends per device, backoff between them
    (seconds, full jitter, capped, at least the service's Retry-After), and how long a claim
    holds before another worker may take it over."""

    max_attempts: int = 6
    base_delay: float = 10.0
    max_delay: float = 1800.0
    lease: timedelta = timedelta(minutes=5)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


@dataclass
class DeliveryReport:
    """What one or more rounds did."""

    queued: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    devices_removed: int = 0
    skipped: int = 0

    def add(self, other: DeliveryReport) -> DeliveryReport:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def busy(self) -> bool:
        return bool(self.queued or self.claimed or self.skipped)


async def deliver_due_pushes(
    gateway: PushGateway,
    now: datetime,
    batch: int = 500,
    policy: DeliveryPolicy | None = None,
) -> DeliveryReport:
    """One round: queue due notifications, claim up to `batch` due deliveries, send them and
    record the outcomes. Call again while the report is `busy`."""
    policy = policy or DeliveryPolicy()
    report = DeliveryReport()
    await _queue_due_notifications(now, batch, report)
    claim = uuid.uuid4().hex
    deliveries = await _claim(now, batch, claim, policy, report)
    if not deliveries:
        return report
    messages = [d.message for d in deliveries]
    try:
        results = await gateway.send(messages)
    except Exception as error:  # a gateway must not raise; if it does, try again later
        logger.exception("push gateway failed on a batch of %s", len(messages))
        results = [
            SendResult(m, SendOutcome.RETRY, error=f"{type(error).__name__}: {error}")
            for m in messages
        ]
    if len(results) != len(deliveries):
        raise RuntimeError("the push gateway returned a result count unlike the message count")
    await _record(deliveries, results, now, claim, policy, report)
    return report


async def deliver_until_idle(
    gateway: PushGateway,
    now: datetime,
    batch: int = 500,
    policy: DeliveryPolicy | None = None,
    max_rounds: int = 1000,
) -> DeliveryReport:
    """Rounds until nothing is due at `now` (retries scheduled later wait for a later call)."""
    total = DeliveryReport()
    for _ in range(max_rounds):
        report = await deliver_due_pushes(gateway, now, batch, policy)
        total.add(report)
        if not report.busy:
            break
    return total


# ---------------------------------------------------------------- 1. queue


async def _queue_due_notifications(now: datetime, limit: int, report: DeliveryReport) -> None:
    async with in_transaction():
        due = (
            await Notification.filter(
                push_status__in=(PushStatus.PENDING, PushStatus.HELD), next_attempt_at__lte=now
            )
            .order_by("next_attempt_at", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)  # whole rows: .values() drops FOR UPDATE
        )
        if not due:
            return
        member_ids = {n.member_id for n in due}
        preferences = await preferences_of_many(member_ids)
        devices: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for device_id, member_id, token in await Device.filter(
            member_id__in=list(member_ids)
        ).values_list("id", "member_id", "token"):
            devices[member_id].append((device_id, token))
        skipped: dict[str, list[int]] = defaultdict(list)
        sending: list[int] = []
        rows: list[PushDelivery] = []
        for n in due:
            prefs = preferences[n.member_id]
            if not prefs.push_enabled:
                skipped["push disabled"].append(n.id)
            elif n.category not in prefs.categories:
                skipped["category off"].append(n.id)
            elif not devices[n.member_id]:
                skipped["no device"].append(n.id)
            else:
                sending.append(n.id)
                rows.extend(
                    PushDelivery(
                        notification_id=n.id,
                        device_id=device_id,
                        token=token,
                        status=DeliveryStatus.QUEUED,
                        next_attempt_at=now,
                    )
                    for device_id, token in devices[n.member_id]
                )
        for reason, ids in skipped.items():
            await Notification.filter(id__in=ids).update(
                push_status=PushStatus.SKIPPED, push_reason=reason, next_attempt_at=None
            )
            report.skipped += len(ids)
        if rows:
            await PushDelivery.bulk_create(rows, ignore_conflicts=True)
            await Notification.filter(id__in=sending).update(
                push_status=PushStatus.SENDING, next_attempt_at=None
            )
            report.queued += len(rows)


# ---------------------------------------------------------------- 2. claim

_DUE = """
    ((status IN ('QUEUED', 'RETRY') AND next_attempt_at <= $1)
        OR (status = 'SENDING' AND claimed_at < $3))
"""
#: The claim, in one committed statement; PostgreSQL skips rows another worker holds.
_CLAIM_ANY = f"""
    UPDATE push_delivery SET status = 'SENDING', claimed_at = $1, claim = $2,
        attempts = attempts + 1
    WHERE {_DUE} AND id IN (
        SELECT id FROM push_delivery WHERE {_DUE} ORDER BY next_attempt_at, id LIMIT $4
"""
_CLAIM = {
    "postgres": Statement(_CLAIM_ANY + " FOR UPDATE SKIP LOCKED)"),
    "sqlite": Statement(_CLAIM_ANY + ")"),
}
#: What the claimed deliveries' messages need, and whether the device still is the member's.
_CLAIMED = Statement("""
    SELECT d.id, d.notification_id, d.token, d.attempts,
        n.member_id, n.category, n.title, n.body, n.deep_link, n.data,
        (dev.id IS NOT NULL AND dev.token = d.token AND dev.member_id = n.member_id) AS held
    FROM push_delivery d
    JOIN notification n ON n.id = d.notification_id
    LEFT JOIN device dev ON dev.id = d.device_id
    WHERE d.claim = $1
    ORDER BY d.id
""")
_GONE_FROM_CLAIM = """
    UPDATE push_delivery SET status = 'DEVICE_GONE', claim = NULL,
        last_error = 'device gone or moved'
    WHERE claim = $1 AND id IN ({ids})
"""


@dataclass
class _Claimed:
    """A delivery claimed by this round, with the message it sends."""

    id: int
    notification_id: int
    token: str
    attempts: int
    message: PushMessage
    status: DeliveryStatus = DeliveryStatus.SENDING
    last_error: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None


async def _claim(
    now: datetime, limit: int, claim: str, policy: DeliveryPolicy, report: DeliveryReport
) -> list[_Claimed]:
    async with in_transaction():
        claimed = await _CLAIM[dialect()].execute(now, claim, now - policy.lease, limit)
    if not claimed:
        return []
    rows = await _CLAIMED.rows(claim)
    report.claimed += len(rows)
    # A token that moved to another member's account (a shared phone) must not receive this.
    moved = [row for row in rows if not row["held"]]
    if moved:
        await for_ids(_GONE_FROM_CLAIM, len(moved)).execute(claim, *(row["id"] for row in moved))
        await _settle({row["notification_id"] for row in moved})
    return [
        _Claimed(
            id=row["id"],
            notification_id=row["notification_id"],
            token=row["token"],
            attempts=row["attempts"],
            message=_message(row),
        )
        for row in rows
        if row["held"]
    ]


def _message(row: dict[str, Any]) -> PushMessage:
    stored = row["data"]
    if isinstance(stored, str):  # a JSON column as a statement returns it
        stored = json.loads(stored)
    data = {str(k): str(v) for k, v in (stored or {}).items()}
    notification_id = str(row["notification_id"])
    data["notification_id"] = notification_id
    data["category"] = str(row["category"])
    if row["deep_link"]:
        data["deep_link"] = row["deep_link"]
    return PushMessage(
        token=row["token"],
        title=row["title"],
        body=row["body"],
        data=data,
        collapse_key=f"notification-{notification_id}",
    )


# ---------------------------------------------------------------- 3-4. record

#: Each only on rows still under this round's claim: a takeover after the lease wins.
_RECORD = """
    UPDATE push_delivery SET status = $1, claim = NULL, last_error = $2, sent_at = $3,
        next_attempt_at = COALESCE($4, next_attempt_at)
    WHERE claim = $5 AND id IN ({ids})
"""
_RECORD_ONE = Statement("""
    UPDATE push_delivery SET status = $1, claim = NULL, last_error = $2, sent_at = $3,
        next_attempt_at = COALESCE($4, next_attempt_at)
    WHERE claim = $5 AND id = $6
""")


async def _record(
    deliveries: Sequence[_Claimed],
    results: Sequence[SendResult],
    now: datetime,
    claim: str,
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> None:
    sent = retried = failed = 0
    gone: list[_Claimed] = []
    for delivery, result in zip(deliveries, results, strict=True):
        delivery.last_error = (result.error or "")[:_ERROR_MAX] or None
        if result.outcome is SendOutcome.SENT:
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
            delivery.last_error = None
            sent += 1
        elif result.outcome in (SendOutcome.UNREGISTERED, SendOutcome.INVALID):
            delivery.status = DeliveryStatus.DEVICE_GONE
            gone.append(delivery)
        elif result.outcome is SendOutcome.RETRY and delivery.attempts < policy.max_attempts:
            delay = backoff_delay(
                delivery.attempts - 1,
                result.retry_after,
                policy.base_delay,
                policy.max_delay,
                policy.rng,
            )
            delivery.status = DeliveryStatus.RETRY
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            retried += 1
        else:
            delivery.status = DeliveryStatus.FAILED
            failed += 1
    async with in_transaction():
        # Grouped updates (a handful per round: rows share their outcome); retries each have
        # their own time, so they go in one executemany.
        groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
        retries: list[tuple[object, ...]] = []
        for d in deliveries:
            if d.next_attempt_at is not None:
                retries.append(
                    (d.status.value, d.last_error, d.sent_at, d.next_attempt_at, claim, d.id)
                )
            else:
                groups[(d.status.value, d.last_error, d.sent_at)].append(d.id)
        for (status, last_error, sent_at), ids in groups.items():
            await for_ids(_RECORD, len(ids)).execute(status, last_error, sent_at, None, claim, *ids)
        await _RECORD_ONE.execute_many(retries)
        if gone:
            tokens = sorted({d.token for d in gone})
            devices = Device.filter(token__in=tokens)
            report.devices_removed += await devices.count()
            await devices.delete()
            # Other pushes waiting for those tokens would only be refused again.
            await PushDelivery.filter(
                token__in=tokens, status__in=(DeliveryStatus.QUEUED, DeliveryStatus.RETRY)
            ).update(status=DeliveryStatus.DEVICE_GONE, last_error="device unregistered")
        await _settle({d.notification_id for d in deliveries})
    report.sent += sent
    report.retried += retried
    report.failed += failed


async def withdraw_from_moved_device(device_id: int) -> int:
    """Withdraw the pushes still waiting (queued or to retry) for a device from every member
    other than its current holder: the token changed hands (`DeviceMoved`), and nothing meant
    for the previous member may reach the new one. Returns how many were withdrawn. (A push
    already handed to the push service cannot be called back; one claimed but not yet sent is
    caught by the claim's own check.)"""
    async with in_transaction():
        holder = await Device.filter(id=device_id).values_list("member_id", flat=True)
        open_deliveries = PushDelivery.filter(
            device_id=device_id, status__in=(DeliveryStatus.QUEUED, DeliveryStatus.RETRY)
        )
        if holder:
            open_deliveries = open_deliveries.exclude(notification__member_id=holder[0])
        rows = await open_deliveries.values_list("id", "notification_id")
        if not rows:
            return 0
        await PushDelivery.filter(
            id__in=[row_id for row_id, _ in rows],
            status__in=(DeliveryStatus.QUEUED, DeliveryStatus.RETRY),
        ).update(status=DeliveryStatus.DEVICE_GONE, last_error="device moved to another member")
        await _settle({notification_id for _, notification_id in rows})
    logger.info("withdrew %s pushes from device %s, which changed hands", len(rows), device_id)
    return len(rows)


async def _settle(notification_ids: set[int]) -> None:
    """A notification none of whose deliveries is open is SENT (some device got it), FAILED
    (some device never did) or SKIPPED (every device turned out gone)."""
    if not notification_ids:
        return
    rows = await PushDelivery.filter(notification_id__in=list(notification_ids)).values(
        "notification_id", "status", "attempts", "last_error", "sent_at"
    )
    by_notification: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_notification[row["notification_id"]].append(row)
    settled: dict[tuple[PushStatus, str | None, int, str | None, datetime | None], list[int]] = (
        defaultdict(list)
    )
    for notification_id, deliveries in by_notification.items():
        statuses = {d["status"] for d in deliveries}
        if statuses & set(OPEN_DELIVERY_STATUSES):
            continue
        attempts = max(d["attempts"] for d in deliveries)
        errors = [d["last_error"] for d in deliveries if d["last_error"]]
        sent_at = min((d["sent_at"] for d in deliveries if d["sent_at"]), default=None)
        if DeliveryStatus.SENT in statuses:
            status, reason, error = PushStatus.SENT, None, None
        elif DeliveryStatus.FAILED in statuses:
            status, reason, error = PushStatus.FAILED, None, errors[-1] if errors else None
        else:
            status, reason, error = PushStatus.SKIPPED, "no device", errors[-1] if errors else None
        settled[(status, reason, attempts, error, sent_at)].append(notification_id)
    # Grouped: the notifications of a round mostly settle alike.
    for (status, reason, attempts, error, sent_at), ids in settled.items():
        await Notification.filter(id__in=ids).update(
            push_status=status,
            push_reason=reason,
            attempts=attempts,
            last_error=error,
            sent_at=sent_at,
        )
