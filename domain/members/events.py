"""Events of the members area."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import DomainEvent


@dataclass(frozen=True)
class MemberErased(DomainEvent):
    """The member erased their account: every layer removes its personal data of them."""

    member_id: int
