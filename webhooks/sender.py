"""The delivery sender: due webhook deliveries go out over HTTP, signed, at least once.

One `pump`:
1. Claim: due deliveries (PENDING whose time came, or SENDING whose claim outlived the lease:
   a worker died mid-send) of enabled endpoints, up to the free capacity of this sender and
   at most `per_endpoint` in flight per endpoint, are marked SENDING under a fresh claim in
   one committed transaction, before anything is sent. The mark is a conditional update
   (PostgreSQL also skips rows another worker holds locked: `FOR UPDATE SKIP LOCKED`; SQLite
   serialises writers), so two workers never claim, hence never send, the same attempt.
2. Send each claimed delivery in a task of its own: a POST of the stored body with its event
   id, type and signature, bounded by `timeout` end to end, redirects not followed.
3. Record the outcome, only while the claim is still ours: 2xx is DELIVERED; anything else is
   retried after `domain.retry.backoff_delay` (exponential, full jitter, never sooner than
   the endpoint's Retry-After) while that stays within the delivery's retry window, then
   FAILED.

A slow endpoint holds at most `per_endpoint` of the `concurrency` slots: the others keep
flowing while it answers (or times out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.retry import backoff_delay, parse_retry_after
from domain.sql import Statement, as_datetime, dialect, for_ids
from webhooks.signing import (
    ATTEMPT_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    USER_AGENT,
    signature_header,
)

log = logging.getLogger("fidelio.webhooks")

_ERROR_MAX = 500
_SNIPPET = 200


@dataclass(frozen=True)
class SenderPolicy:
    """How the sender works: the HTTP `timeout` (seconds, whole request), how long a delivery
    keeps being retried (`retry_for`), the backoff between attempts (seconds, full jitter,
    capped), how many requests at once in all and per endpoint, and how long a claim holds
    before another worker may take it over (longer than any request)."""

    timeout: float = 5.0
    retry_for: timedelta = timedelta(hours=24)
    base_delay: float = 10.0
    max_delay: float = 3600.0
    concurrency: int = 16
    per_endpoint: int = 4
    lease: timedelta = timedelta(minutes=2)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.concurrency < 1 or self.per_endpoint < 1:
            raise ValueError("timeout, concurrency and per_endpoint must be positive")
        if self.lease.total_seconds() <= self.timeout:
            raise ValueError("the lease must outlast a request")


class DeliveryObserver(Protocol):
    """Told of every attempt's outcome (metrics)."""

    def delivered(self, request_seconds: float, lag_seconds: float) -> None:
        """A 2xx: how long the request took, and how long after the event's creation."""

    def attempt_failed(self) -> None:
        """An attempt failed and will be retried."""

    def gave_up(self) -> None:
        """An attempt failed and the retry window is over: the delivery is FAILED."""


class _Unobserved:
    def delivered(self, request_seconds: float, lag_seconds: float) -> None:
        return None

    def attempt_failed(self) -> None:
        return None

    def gave_up(self) -> None:
        return None


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery claimed for one attempt, with what the request needs."""

    id: int
    claim: str
    attempt: int
    endpoint_id: int
    event_id: str
    event_type: str
    event_created_at: datetime
    body: str
    url: str
    secrets: tuple[str, ...]
    give_up_at: datetime


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status: int | None
    error: str | None
    retry_after: float | None
    seconds: float


_DUE = (
    "((d.status = 'PENDING' AND d.next_attempt_at <= $1) "
    "OR (d.status = 'SENDING' AND d.claimed_at < $2))"
)
_CANDIDATES = (
    "SELECT d.id, d.endpoint_id FROM webhook_delivery d "
    "JOIN webhook_endpoint e ON e.id = d.endpoint_id "
    f"WHERE e.enabled AND {_DUE} {{excluded}} ORDER BY d.next_attempt_at, d.id LIMIT $3"
)
_MARK = (
    "UPDATE webhook_delivery SET status = 'SENDING', claim = $3, claimed_at = $1, "
    "next_attempt_at = $1, attempts = attempts + 1 "
    f"WHERE {_DUE.replace('d.', '')} AND id IN ({{ids}})"
)
_CLAIMED = Statement(
    "SELECT d.id, d.attempts, d.give_up_at, d.endpoint_id, d.event_id, ev.type, ev.body, "
    "ev.created_at AS event_created_at, e.url, e.secret, e.previous_secret, "
    "e.previous_secret_expires_at FROM webhook_delivery d "
    "JOIN webhook_event ev ON ev.id = d.event_id "
    "JOIN webhook_endpoint e ON e.id = d.endpoint_id WHERE d.claim = $1 ORDER BY d.id"
)
_DELIVERED = Statement(
    "UPDATE webhook_delivery SET status = 'DELIVERED', claim = NULL, next_attempt_at = NULL, "
    "delivered_at = $3, last_attempt_at = $3, response_status = $4, last_error = NULL "
    "WHERE id = $1 AND claim = $2"
)
_RETRY = Statement(
    "UPDATE webhook_delivery SET status = $3, claim = NULL, next_attempt_at = $4, "
    "last_attempt_at = $5, response_status = $6, last_error = $7 WHERE id = $1 AND claim = $2"
)


def _candidates(excluded: int, skip_locked: bool) -> Statement:
    template = _CANDIDATES.format(
        excluded="AND d.endpoint_id NOT IN ({ids})" if excluded else ""
    ) + (" FOR UPDATE OF d SKIP LOCKED" if skip_locked else "")
    return for_ids(template, excluded) if excluded else Statement(template)


class WebhookSender:
    """Claims due deliveries and sends them, each in a task, within its policy's bounds."""

    def __init__(
        self,
        clock: Clock,
        policy: SenderPolicy | None = None,
        *,
        observer: DeliveryObserver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.clock = clock
        self.policy = policy or SenderPolicy()
        self.observer: DeliveryObserver = observer or _Unobserved()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._in_flight: Counter[int] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------- running

    async def pump(self) -> int:
        """Claim what fits in the free slots and start sending it; returns how many started
        (the sends go on in the background)."""
        free = self.policy.concurrency - len(self._tasks)
        if free <= 0:
            return 0
        claimed = await self.claim(free)
        for delivery in claimed:
            self._in_flight[delivery.endpoint_id] += 1
            task = asyncio.create_task(self._attempt(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def run(self, now: datetime | None = None) -> int:
        """The scheduled job: pump while there is work and room, waiting for a slot to free
        up when all are taken; returns how many sends started. Sends still running when it
        returns (a slow endpoint's) finish on their own."""
        started = 0
        while True:
            count = await self.pump()
            started += count
            if count == 0 and len(self._tasks) < self.policy.concurrency:
                return started
            if self._tasks:
                await asyncio.wait(
                    set(self._tasks),
                    timeout=self.policy.timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )

    async def drain(self) -> None:
        """Wait for every send in flight to finish."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def deliver_until_idle(self, max_rounds: int = 100) -> int:
        """Send until nothing is due now (tests, the `jobs` command); retries scheduled later
        wait for a later call. Returns how many attempts were made."""
        total = 0
        for _ in range(max_rounds):
            started = await self.run()
            await self.drain()
            total += started
            if started == 0:
                break
        return total

    async def close(self) -> None:
        """Let the sends in flight finish (within a request's timeout), then close the HTTP
        client. A send cut short leaves its claim to be taken over after the lease."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=self.policy.timeout + 1)
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------- 1. claim

    async def claim(self, limit: int) -> list[ClaimedDelivery]:
        """Mark up to `limit` due deliveries SENDING under a new claim and return them."""
        now = self.clock.now()
        lease_start = now - self.policy.lease
        saturated = [e for e, n in self._in_flight.items() if n >= self.policy.per_endpoint]
        claim = uuid.uuid4().hex
        async with in_transaction():
            candidates = await _candidates(len(saturated), dialect() == "postgres").rows(
                now, lease_start, limit * self.policy.per_endpoint, *saturated
            )
            chosen: list[int] = []
            taken: Counter[int] = Counter()
            for row in candidates:
                endpoint_id = int(row["endpoint_id"])
                room = self.policy.per_endpoint - self._in_flight[endpoint_id]
                if taken[endpoint_id] < room:
                    taken[endpoint_id] += 1
                    chosen.append(int(row["id"]))
                    if len(chosen) == limit:
                        break
            if not chosen:
                return []
            await for_ids(_MARK, len(chosen)).execute(now, lease_start, claim, *chosen)
        return [_claimed(row, claim, now) for row in await _CLAIMED.rows(claim)]

    # ------------------------------------------------------------- 2. send

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            slots = self.policy.concurrency
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.policy.timeout),
                follow_redirects=False,
                limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots),
                transport=self._transport,
                headers={"User-Agent": USER_AGENT},
            )
        return self._client

    async def send(self, delivery: ClaimedDelivery) -> AttemptResult:
        """POST the delivery once; never raises for the endpoint's faults."""
        body = delivery.body.encode()
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: delivery.event_id,
            EVENT_TYPE_HEADER: delivery.event_type,
            SIGNATURE_HEADER: signature_header(delivery.secrets, timestamp, body),
            ATTEMPT_HEADER: str(delivery.attempt),
        }
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.policy.timeout):
                async with self._http().stream(
                    "POST", delivery.url, content=body, headers=headers
                ) as response:
                    snippet = await _snippet(response)
                    status = response.status_code
                    retry_after = response.headers.get("retry-after")
        except (TimeoutError, httpx.TimeoutException):
            return _failure(f"no answer within {self.policy.timeout:g} s", started)
        except httpx.HTTPError as exc:
            return _failure(f"{type(exc).__name__}: {exc}".rstrip(": "), started)
        seconds = time.perf_counter() - started
        if 200 <= status < 300:
            return AttemptResult(True, status, None, None, seconds)
        error = f"HTTP {status}"
        if 300 <= status < 400:
            error += " (redirects are not followed)"
        if snippet:
            error += f": {snippet}"
        wait = parse_retry_after(retry_after, self.clock.now()) if status in (429, 503) else None
        return AttemptResult(False, status, error, wait, seconds)

    # ------------------------------------------------------------- 3. record

    async def _attempt(self, delivery: ClaimedDelivery) -> None:
        try:
            if self.clock.now() > delivery.give_up_at:
                # Claimed after its window (the endpoint was disabled meanwhile): not sent.
                result = AttemptResult(
                    False, None, "retry window over before this attempt", None, 0
                )
            else:
                result = await self.send(delivery)
            await self.record(delivery, result)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery %s: recording its attempt failed", delivery.id)
        finally:
            self._in_flight[delivery.endpoint_id] -= 1
            if self._in_flight[delivery.endpoint_id] <= 0:
                del self._in_flight[delivery.endpoint_id]

    async def record(self, delivery: ClaimedDelivery, result: AttemptResult) -> None:
        """Write the attempt's outcome, unless another worker took the claim over."""
        now = self.clock.now()
        if result.ok:
            if await _DELIVERED.execute(delivery.id, delivery.claim, now, result.status):
                lag = max(0.0, (now - delivery.event_created_at).total_seconds())
                self.observer.delivered(result.seconds, lag)
            return
        delay = backoff_delay(
            delivery.attempt - 1,
            result.retry_after,
            self.policy.base_delay,
            self.policy.max_delay,
            self.policy.rng,
        )
        next_at = now + timedelta(seconds=delay)
        gave_up = next_at > delivery.give_up_at
        status = "FAILED" if gave_up else "PENDING"
        error = (result.error or "failed")[:_ERROR_MAX]
        changed = await _RETRY.execute(
            delivery.id,
            delivery.claim,
            status,
            None if gave_up else next_at,
            now,
            result.status,
            error,
        )
        if not changed:
            return
        if gave_up:
            log.warning(
                "webhook delivery %s of %s gave up after %s attempts: %s",
                delivery.id,
                delivery.event_id,
                delivery.attempt,
                error,
            )
            self.observer.gave_up()
        else:
            self.observer.attempt_failed()


async def _snippet(response: httpx.Response) -> str:
    """The start of the answer, for the log (never the whole of a large one)."""
    taken = b""
    async for chunk in response.aiter_bytes():
        taken += chunk
        if len(taken) >= _SNIPPET:
            break
    return " ".join(taken[:_SNIPPET].decode("utf-8", "replace").split())


def _failure(error: str, started: float) -> AttemptResult:
    return AttemptResult(False, None, error, None, time.perf_counter() - started)


def _claimed(row: dict[str, Any], claim: str, now: datetime) -> ClaimedDelivery:
    secrets: list[str] = [row["secret"]]
    expires = row["previous_secret_expires_at"]
    if row["previous_secret"] and expires is not None and as_datetime(expires) > now:
        secrets.append(row["previous_secret"])
    return ClaimedDelivery(
        id=int(row["id"]),
        claim=claim,
        attempt=int(row["attempts"]),
        endpoint_id=int(row["endpoint_id"]),
        event_id=str(row["event_id"]),
        event_type=str(row["type"]),
        event_created_at=as_datetime(row["event_created_at"]),
        body=str(row["body"]),
        url=str(row["url"]),
        secrets=tuple(secrets),
        give_up_at=as_datetime(row["give_up_at"]),
    )
