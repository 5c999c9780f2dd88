"""A member's points history: ledger entries, newest first, paged by entry id.

The cursor is the id of the last entry seen; entries written meanwhile have higher ids and
never shift the pages still to come.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.points.models import PointsEntry

MAX_PAGE = 100


@dataclass(frozen=True)
class HistoryPage:
    entries: list[PointsEntry]
    has_next_page: bool


async def points_history(
    member_id: int, *, first: int, before_id: int | None = None
) -> HistoryPage:
    """Up to `first` (0-100) entries of the member older than entry `before_id`, newest first.
    Raises `InvalidInput` for a page size out of range."""
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be 0-{MAX_PAGE}", ["first"])
    query = PointsEntry.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(first + 1)
    return HistoryPage(entries=list(rows[:first]), has_next_page=len(rows) > first)
