"""What other members may see of a member (raffle winners, leaderboards, referrals)."""

from __future__ import annotations

import strawberry

from domain.members import models


@strawberry.type(
    description="What other members may see of a member: on leaderboards and referrals."
)
class PublicMember:
    model: strawberry.Private[models.Member]
    id: strawberry.ID = strawberry.field(description="Fidelio's id of the member.")
    display_name: str = strawberry.field(description="The name the member shows to others.")

    @classmethod
    def from_model(cls, member: models.Member) -> PublicMember:
        return cls(model=member, id=strawberry.ID(str(member.id)), display_name=member.display_name)
