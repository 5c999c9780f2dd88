"""Events of the tiers area."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import DomainEvent


@dataclass(frozen=True)
class TierChanged(DomainEvent):
    member_id: int
    old_code: str | None
    new_code: str
    old_level: int
    new_level: int

    @property
    def upgrade(self) -> bool:
        return self.new_level > self.old_level
