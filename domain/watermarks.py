"""How far each incremental job got, so that its next run reads only what changed since.

A scheduled job that works from changes (the tier review, the expiry reminders) keeps one row
here: the moment its last complete run covered (`done_until`) and a fingerprint of the
settings that run depended on (a ladder version, a window length). A run whose fingerprint
differs, or that finds no row, starts over from scratch; otherwise it reads the changes
after `done_until`. Saving never moves the mark back (two workers may finish out of order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction


class JobWatermark(Model):
    """One row per incremental job: how far its last complete run went."""

    name = fields.CharField(max_length=60, primary_key=True)
    done_until = fields.DatetimeField()
    #: What the run depended on (versions, settings), compared as text.
    fingerprint = fields.CharField(max_length=200, default="")

    class Meta:
        table = "job_watermark"


@dataclass(frozen=True)
class Watermark:
    done_until: datetime
    fingerprint: str


async def read_watermark(name: str) -> Watermark | None:
    """The job's mark, or None when it never completed a run."""
    row = await JobWatermark.get_or_none(name=name)
    return None if row is None else Watermark(row.done_until, row.fingerprint)


async def save_watermark(name: str, done_until: datetime, fingerprint: str) -> None:
    """Record a complete run up to `done_until` (kept if a later one was saved already, unless
    the fingerprint changed: then the newer settings' run wins)."""
    moved = await JobWatermark.filter(name=name, done_until__lte=done_until).update(
        done_until=done_until, fingerprint=fingerprint
    ) or await JobWatermark.filter(name=name).exclude(fingerprint=fingerprint).update(
        done_until=done_until, fingerprint=fingerprint
    )
    if moved or await JobWatermark.exists(name=name):
        return
    try:
        async with in_transaction():
            await JobWatermark.create(name=name, done_until=done_until, fingerprint=fingerprint)
    except IntegrityError:
        await save_watermark(name, done_until, fingerprint)  # created meanwhile
