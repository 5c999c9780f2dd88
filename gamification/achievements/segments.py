"""Which segments a member is in, for challenges limited to one segment."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from domain.errors import NotFound
from domain.segments.services import member_in_segment


async def segments_of(member_id: int, codes: Collection[str], now: datetime) -> set[str]:
    """The codes among `codes` of the segments the member is in as of `now` (one membership
    query per code). A code no segment has (removed since) holds nobody."""
    held: set[str] = set()
    for code in sorted(codes):
        try:
            if await member_in_segment(code, member_id, now):
                held.add(code)
        except NotFound:
            continue
    return held
