"""Back-fill runs: a badge's back-fill started by an admin and carried out in the background.

The run's state is its `BackfillRun` row: after each batch (`backfill.backfill_next_batch`, the
command line's code path) the row gets the members looked at, the last member id, the members
awarded and a heartbeat, in the batch's own transaction's wake. A process that dies leaves the
row RUNNING with an old heartbeat; `resume_backfills` (the `resume-backfills` job) claims such
rows by a conditional update and carries on after the last member id. A batch done twice
awards nothing more: back-fill skips holders and awards through the engine's unique key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from domain.achievements.models import BackfillRun
from domain.audit import Actor, record_change
from domain.errors import DomainError, InvalidInput, ValidationErrors
from domain.members.models import Member
from domain.program import read_program
from gamification.achievements.backfill import backfill_next_batch, backfillable

log = logging.getLogger("fidelio.backfill")

RUNNING = "RUNNING"
DONE = "DONE"
FAILED = "FAILED"
MAX_BATCH_SIZE = 5000
#: A RUNNING run whose heartbeat is older than this was left by a process that stopped (a
#: batch takes seconds, and the heartbeat is written after each one).
STALE_AFTER = timedelta(minutes=2)


def _snapshot(run: BackfillRun) -> dict[str, object]:
    return {"run": run.id, "batch_size": run.batch_size, "members": run.total}


async def start_backfill(
    badge_code: str, batch_size: int, actor: Actor, now: datetime
) -> BackfillRun:
    """Record a RUNNING back-fill of badge `badge_code` (audited as `badge.backfill`); the
    caller runs it with `run_backfill`.

    Raises:
        ValidationErrors: a batch size out of 1-5,000 (field ["input", "batchSize"]).
        NotFound: no badge has this code; InvalidInput: its rule's event kind keeps no history
            (both on field ["input", "badgeCode"]).
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValidationErrors(
            [InvalidInput(f"must be 1-{MAX_BATCH_SIZE}", ["input", "batchSize"])]
        )
    try:
        await backfillable(badge_code, batch_size)
    except DomainError as error:
        error.field = ["input", "badgeCode"]  # the command line's ["code"], as this input names it
        raise
    async with in_transaction():
        run = await BackfillRun.create(
            badge_code=badge_code,
            batch_size=batch_size,
            total=await Member.all().count(),
            started_by=actor.subject,
            started_at=now,
            heartbeat_at=now,
        )
        await record_change(actor, "badge.backfill", "badge", badge_code, None, _snapshot(run), now)
    return run


async def run_backfill(run_id: int, clock: Callable[[], datetime]) -> BackfillRun:
    """Carry run `run_id` on from its last batch to the end (DONE), or until its badge or
    rule can no longer be back-filled (FAILED, with why). Returns the run as it ended."""
    run = await BackfillRun.get(id=run_id)
    if run.status != RUNNING:
        return run
    try:
        badge, loader = await backfillable(run.badge_code, run.batch_size)
        program = await read_program()
        while True:
            now = clock()
            batch = await backfill_next_batch(
                badge, loader, run.after_member_id, run.batch_size, now, program
            )
            if batch is None:
                break
            run.after_member_id = batch.last_member_id
            run.done += batch.members
            run.awarded += batch.awarded
            run.total = max(run.total, run.done)
            run.heartbeat_at = now
            await run.save(
                update_fields=["after_member_id", "done", "awarded", "total", "heartbeat_at"]
            )
    except DomainError as error:  # the badge went away, or its rule changed kind, meanwhile
        return await _finish(run, FAILED, clock(), error.message)
    except Exception:
        # Left RUNNING: its heartbeat ages and `resume_backfills` tries again later.
        log.exception("back-fill run %s stopped", run_id)
        raise
    return await _finish(run, DONE, clock(), None)


async def _finish(run: BackfillRun, status: str, now: datetime, error: str | None) -> BackfillRun:
    run.status = status
    run.finished_at = now
    run.heartbeat_at = now
    run.error = error[:500] if error else None
    run.total = max(run.total, run.done) if status == DONE else run.total
    await run.save(update_fields=["status", "finished_at", "heartbeat_at", "error", "total"])
    return run


async def resume_backfills(now: datetime, clock: Callable[[], datetime]) -> int:
    """Carry on the runs left RUNNING by a process that stopped (heartbeat older than
    `STALE_AFTER`), each claimed by one caller only; returns how many were resumed."""
    stale = await BackfillRun.filter(status=RUNNING, heartbeat_at__lt=now - STALE_AFTER).order_by(
        "id"
    )
    resumed = 0
    for run in stale:
        # Claimed when the heartbeat is still the stale one: another process resuming it at
        # the same time finds it moved and leaves it alone.
        claimed = await BackfillRun.filter(
            id=run.id, status=RUNNING, heartbeat_at=run.heartbeat_at
        ).update(heartbeat_at=now)
        if claimed:
            await run_backfill(run.id, clock)
            resumed += 1
    return resumed


def progress(run: BackfillRun) -> float:
    """How far the run is, from 0 to 1 (1 once DONE)."""
    if run.status == DONE:
        return 1.0
    return min(1.0, run.done / run.total) if run.total else 0.0
