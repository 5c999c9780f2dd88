"""Delivering outbox events to their handlers, at least once, a batch at a time.

Wiring is data: the app factory builds `{event kind: [handler, ...]}` and hands it to the
dispatcher. A batch of due rows is claimed in one statement (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several workers never take the same row), the batch's events of each kind go to
that kind's handlers together, and the delivered rows are marked processed in one statement.

A handler is either a plain `Handler` (one event at a time) or a `Batched` one, which takes
every event of its kind in the batch at once (one query, one Redis pipeline for all). The
batch's delivery runs in one savepoint; when it fails, each kind is delivered again in a
savepoint of its own, and when that fails, the kind's events one by one, each in its own
savepoint, so that only the events whose handlers fail are rolled back
and retried later with exponential backoff (handlers must be idempotent: an event may reach a
handler again). After `max_attempts` an event is parked with its last error.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.events import DomainEvent, decode_event
from domain.outbox.models import OutboxEvent
from domain.retry import backoff_ceiling
from domain.sql import Statement, dialect, for_ids

log = logging.getLogger("fidelio.outbox")

Handler = Callable[[DomainEvent], Awaitable[None]]


@dataclass(frozen=True)
class Batched:
    """A handler that takes all the due events of its kind in a claimed batch at once, in
    the order they were raised."""

    handle: Callable[[Sequence[DomainEvent]], Awaitable[None]]


Delivery = Handler | Batched

_CLAIM = """
    SELECT id, kind, payload, attempts FROM outbox_event
    WHERE processed_at IS NULL AND available_at <= $1 ORDER BY id LIMIT $2
"""
_CLAIM_ANY = Statement(_CLAIM)
_CLAIM_SKIP_LOCKED = Statement(_CLAIM + " FOR UPDATE SKIP LOCKED")
_DELIVERED = (
    "UPDATE outbox_event SET processed_at = $1, attempts = attempts + 1 WHERE id IN ({ids})"
)


@dataclass
class _Claimed:
    id: int
    kind: str
    event: DomainEvent | None
    attempts: int


class Dispatcher:
    def __init__(
        self,
        handlers: Mapping[str, Sequence[Delivery]],
        clock: Clock,
        *,
        batch_size: int = 200,
        max_batch_size: int = 1000,
        max_attempts: int = 10,
        base_backoff: timedelta = timedelta(seconds=2),
        max_backoff: timedelta = timedelta(hours=1),
        skip_locked: bool = False,
    ) -> None:
        self.handlers = handlers
        self.clock = clock
        self.batch_size = batch_size
        self.max_batch_size = max(batch_size, max_batch_size)
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.skip_locked = skip_locked
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Ask a running loop to look for events now rather than at its next poll."""
        self._wakeup.set()

    async def run_once(self, limit: int | None = None) -> int:
        """Deliver one batch of due events, at most `limit` (default `batch_size`); returns
        how many rows were handled."""
        limit = limit or self.batch_size
        now = self.clock.now()
        async with in_transaction():
            claim = (
                _CLAIM_SKIP_LOCKED if self.skip_locked and dialect() == "postgres" else _CLAIM_ANY
            )
            rows = [_claimed(row) for row in await claim.rows(now, limit)]
            by_kind: dict[str, list[_Claimed]] = {}
            for row in rows:
                by_kind.setdefault(row.kind, []).append(row)
            delivered = await self._deliver_batch(by_kind)
            if delivered:
                await for_ids(_DELIVERED, len(delivered)).execute(self.clock.now(), *delivered)
        return len(rows)

    async def run_until_idle(self, max_rounds: int = 100) -> int:
        """Deliver until nothing is due (events raised by handlers included)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            total += handled
            if handled == 0:
                break
        return total

    async def run_forever(self, poll_seconds: float) -> None:
        """Deliver batches until cancelled, waiting for `wake` or `poll_seconds` when nothing
        is due. A full batch means a backlog: the next one may be twice as big, up to
        `max_batch_size`. A batch costs about the same round trips (claim, savepoint, each
        kind's handlers, marking, commit) whatever its size, and on a busy machine each of
        them waits for the CPU, so bigger batches are how a worker catches up; below a full
        batch the size falls back to `batch_size` (short transactions when keeping pace)."""
        limit = self.batch_size
        while True:
            try:
                handled = await self.run_once(limit)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox dispatch round failed")
                handled = 0
            limit = min(limit * 2, self.max_batch_size) if handled >= limit else self.batch_size
            if handled == 0:
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), timeout=poll_seconds)
                except TimeoutError:
                    pass

    async def _deliver_batch(self, by_kind: Mapping[str, list[_Claimed]]) -> list[int]:
        """Deliver the batch's events, every kind in one savepoint (a purchase raises three or
        four kinds of events: one savepoint instead of one per kind); when it fails, each
        kind again in its own savepoint (`_deliver_kind`). Returns the ids delivered."""
        handled = {
            kind: claimed
            for kind, claimed in by_kind.items()
            if self.handlers.get(kind) and any(c.event is not None for c in claimed)
        }
        if len(handled) > 1:
            try:
                async with in_transaction():
                    for kind, claimed in handled.items():
                        await _run(
                            self.handlers[kind], [c.event for c in claimed if c.event is not None]
                        )
                return [c.id for claimed in by_kind.values() for c in claimed]
            except Exception:
                log.info("outbox batch failed as a whole, delivering each kind apart")
        delivered: list[int] = []
        for kind, claimed in by_kind.items():
            delivered.extend(await self._deliver_kind(kind, claimed))
        return delivered

    async def _deliver_kind(self, kind: str, claimed: list[_Claimed]) -> list[int]:
        """Deliver the batch's events of one kind; returns the ids delivered (the others
        were rescheduled or parked)."""
        handlers = self.handlers.get(kind, ())
        events = [c.event for c in claimed if c.event is not None]
        if not handlers or not events:
            return [c.id for c in claimed]
        try:
            async with in_transaction():  # a savepoint: a failure rolls back this kind only
                await _run(handlers, events)
            return [c.id for c in claimed]
        except Exception as exc:
            if len(claimed) == 1:
                await self._failed(claimed[0], exc, self.clock.now())
                return []
        # Find the failing events: each again on its own.
        delivered: list[int] = []
        for one in claimed:
            delivered.extend(await self._deliver_one(handlers, one))
        return delivered

    async def _deliver_one(self, handlers: Sequence[Delivery], claimed: _Claimed) -> list[int]:
        if claimed.event is None:
            return [claimed.id]
        try:
            async with in_transaction():
                await _run(handlers, [claimed.event])
        except Exception as exc:
            await self._failed(claimed, exc, self.clock.now())
            return []
        return [claimed.id]

    async def _failed(self, claimed: _Claimed, exc: Exception, now: datetime) -> None:
        attempts = claimed.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempts >= self.max_attempts:
            log.error(
                "outbox event %s (%s) parked after %s attempts", claimed.id, claimed.kind, attempts
            )
            changes: dict[str, Any] = {"processed_at": now}
        else:
            wait = backoff_ceiling(
                attempts - 1, self.base_backoff.total_seconds(), self.max_backoff.total_seconds()
            )
            changes = {"available_at": now + timedelta(seconds=wait)}
            log.warning("outbox event %s (%s) failed, retrying: %s", claimed.id, claimed.kind, exc)
        await OutboxEvent.filter(id=claimed.id).update(
            attempts=attempts, last_error=error, **changes
        )


async def _run(handlers: Sequence[Delivery], events: Sequence[DomainEvent]) -> None:
    for handler in handlers:
        if isinstance(handler, Batched):
            await handler.handle(events)
        else:
            for event in events:
                await handler(event)


def _claimed(row: Mapping[str, Any]) -> _Claimed:
    payload = row["payload"]
    if isinstance(payload, str | bytes):
        payload = json.loads(payload)
    return _Claimed(
        id=int(row["id"]),
        kind=str(row["kind"]),
        event=decode_event(row["kind"], payload),
        attempts=int(row["attempts"]),
    )
