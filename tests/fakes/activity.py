"""An activity observer that remembers what it saw, for tests of domain use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.activity import Activity, Awards


@dataclass
class RecordingObserver:
    """Records every activity; optionally awards `bonus_points` for each (as a rule would)."""

    bonus_points: int = 0
    seen: list[Activity] = field(default_factory=list)

    async def observe(self, activity: Activity, now: datetime, **_: object) -> Awards:
        self.seen.append(activity)
        return Awards(points_awarded=self.bonus_points)

    async def watches(self, kind: str, now: datetime, **_: object) -> bool:
        return True

    def kinds(self) -> list[str]:
        return [a.kind for a in self.seen]
