"""What one action unlocked for the member, as payloads report it."""

from __future__ import annotations

import strawberry

from domain.activity import Awards as DomainAwards


@strawberry.type(description="What one event unlocked for the member.")
class Awards:
    points_awarded: int = strawberry.field(
        description="Points the event earned, bonus points of what it unlocked included."
    )

    @classmethod
    def from_awards(cls, awards: DomainAwards) -> Awards:
        return cls(points_awarded=awards.points_awarded)
