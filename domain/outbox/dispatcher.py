"""Delivering outbox events to their handlers, at least once.

Wiring is data: the app factory builds `{event kind: [handler, ...]}` and hands it to the
dispatcher. A batch of due rows is claimed (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers never take the same row), each event's handlers run, and the row is marked processed.
A handler that fails leaves the event for a later attempt with exponential backoff, so handlers
must be idempotent; after `max_attempts` the event is parked with its last error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.events import DomainEvent, decode_event
from domain.outbox.models import OutboxEvent

log = logging.getLogger("fidelio.outbox")

Handler = Callable[[DomainEvent], Awaitable[None]]


class Dispatcher:
    def __init__(
        self,
        handlers: Mapping[str, Sequence[Handler]],
        clock: Clock,
        *,
        batch_size: int = 100,
        max_attempts: int = 10,
        base_backoff: timedelta = timedelta(seconds=2),
        skip_locked: bool = False,
    ) -> None:
        self.handlers = handlers
        self.clock = clock
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.skip_locked = skip_locked
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Ask a running loop to look for events now rather than at its next poll."""
        self._wakeup.set()

    async def run_once(self) -> int:
        """Deliver one batch of due events; returns how many rows were handled."""
        now = self.clock.now()
        async with in_transaction() as connection:
            query = (
                OutboxEvent.filter(processed_at__isnull=True, available_at__lte=now)
                .order_by("id")
                .limit(self.batch_size)
                .using_db(connection)
            )
            if self.skip_locked:
                query = query.select_for_update(skip_locked=True)
            rows = await query
            for row in rows:
                await self._deliver(row, connection)
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
        while True:
            try:
                handled = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox dispatch round failed")
                handled = 0
            if handled == 0:
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), timeout=poll_seconds)
                except TimeoutError:
                    pass

    async def _deliver(self, row: OutboxEvent, connection: object) -> None:
        event = decode_event(row.kind, row.payload)
        handlers = self.handlers.get(row.kind, ()) if event else ()
        now = self.clock.now()
        try:
            # A savepoint per event: a failing handler rolls back its own writes only.
            async with in_transaction():
                for handler in handlers:
                    assert event is not None
                    await handler(event)
        except Exception as exc:
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= self.max_attempts:
                log.error(
                    "outbox event %s (%s) parked after %s attempts", row.id, row.kind, row.attempts
                )
                row.processed_at = now
            else:
                row.available_at = now + self.base_backoff * (2 ** (row.attempts - 1))
                log.warning("outbox event %s (%s) failed, retrying: %s", row.id, row.kind, exc)
            await row.save(using_db=connection)
            return
        row.processed_at = now
        row.attempts += 1
        await row.save(using_db=connection, update_fields=["processed_at", "attempts"])
