"""How far behind delivery is: the outbox events not yet processed (for operators' metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.sql import Statement

_BACKLOG = Statement(
    "SELECT COUNT(*) AS waiting, MIN(created_at) AS oldest FROM outbox_event "
    "WHERE processed_at IS NULL"
)


@dataclass(frozen=True)
class OutboxBacklog:
    """Events not delivered yet, and the creation time of the oldest (None when none wait)."""

    waiting: int
    oldest: datetime | None

    def oldest_age_seconds(self, now: datetime) -> float:
        """How long the oldest waiting event has waited (0 when none wait)."""
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


async def outbox_backlog() -> OutboxBacklog:
    """The outbox's backlog, in one statement."""
    row = (await _BACKLOG.rows())[0]
    oldest = row["oldest"]
    if isinstance(oldest, str):  # SQLite returns the stored text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return OutboxBacklog(waiting=int(row["waiting"] or 0), oldest=oldest)
