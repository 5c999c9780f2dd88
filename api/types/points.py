"""GraphQL types of a member's points, derived from the ledger."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.points.ledger import PointsSummary as Summary


@strawberry.type(description="Points due to expire together.")
class PointsExpiry:
    points: int = strawberry.field(description="How many points expire.")
    expires_at: datetime = strawberry.field(description="When they expire.")


@strawberry.type(description="A member's points as of now.")
class PointsSummary:
    balance: int = strawberry.field(description="Points that can be spent now.")
    pending: int = strawberry.field(
        description="Earned but not yet available (inside the return window)."
    )
    lifetime_earned: int = strawberry.field(
        description="Every point ever earned, minus what refunds took back."
    )
    expiring_soon: list[PointsExpiry] = strawberry.field(
        description="The next expiries, soonest first."
    )

    @classmethod
    def from_summary(cls, summary: Summary) -> PointsSummary:
        return cls(
            balance=summary.balance,
            pending=summary.pending,
            lifetime_earned=summary.lifetime_earned,
            expiring_soon=[
                PointsExpiry(points=e.points, expires_at=e.expires_at)
                for e in summary.expiring_soon
            ],
        )
