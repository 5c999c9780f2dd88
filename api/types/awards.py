"""What one action unlocked for the member, as payloads report it.

Served here with its points only; the purchases area's `Awards` (badges, challenges, new tier)
has the same `from_awards(awards, member_id, locale)` and replaces this one when merged.
"""

from __future__ import annotations

import strawberry

from domain.activity import Awards as DomainAwards


@strawberry.type(description="What one event unlocked for the member.")
class Awards:
    points_awarded: int = strawberry.field(
        description="Points the event credited: its own points plus any bonus it unlocked."
    )

    @classmethod
    def from_awards(cls, awards: DomainAwards, member_id: int, locale: str) -> Awards:
        return cls(points_awarded=awards.points_awarded)
