"""The progress of one member towards one rule, small enough to keep in a JSON column.

Which fields a rule uses depends on its aggregate and window; the others stay empty:

| rule                                        | fields                                        |
| ------------------------------------------- | --------------------------------------------- |
| COUNT, SUM_AMOUNT, SUM_POINTS, no window    | `total`, `recent_references`                  |
| DISTINCT_CATEGORIES, no window              | `categories`                                  |
| DISTINCT_DAYS, no window                    | `runs` (of days), `earlier_days`              |
| STREAK_DAYS / STREAK_WEEKS                  | `runs` (of days / of ISO weeks)               |
| any aggregate but streaks, with a window    | `contributions`                               |

Size bounds, and why they are enough:

- `recent_references`: the last `RECENT_REFERENCES_KEPT` references. The domain already
  refuses a second purchase, refund or engagement with the same id (unique constraints) in the
  transaction that runs the engine, so a duplicate reaching the engine is a redelivery or a
  replay of a recent event; 64 covers any such burst. A duplicate arriving after 64 newer
  distinct events would count again.
- `runs`: maximal runs of consecutive days or weeks, as `[first, last]` numbers (see
  `local_time.day_number` / `week_number`). Runs ending more than `LATE_EVENT_DAYS` (35 days,
  5 weeks) before the newest one are dropped (their days added to `earlier_days`), so a streak
  or day count keeps at most ~18 runs whatever its age. An event older than that horizon is
  ignored by these aggregates: the shop's backend may report a purchase late (an offline till),
  not weeks late.
- `categories`: bounded by the shop's catalogue.
- `contributions`: the matching events inside the window plus one day of margin (pruned on every
  apply against the newest event: no later `now` can bring an older one back, whatever the
  member's time zone), and never more than `MAX_WINDOW_CONTRIBUTIONS`, newest kept (a value
  past that is undercounted, never overcounted; `validate_rule` keeps COUNT targets below it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

RECENT_REFERENCES_KEPT = 64
LATE_EVENT_DAYS = 35
MAX_WINDOW_CONTRIBUTIONS = 1000

Run = tuple[int, int]


@dataclass(frozen=True)
class Contribution:
    """One matching event kept for a windowed aggregate: when it happened and what it adds."""

    reference: str
    occurred_at: datetime
    value: Decimal = Decimal(0)
    categories: frozenset[str] = field(default_factory=frozenset)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ref": self.reference,
            "at": self.occurred_at.astimezone(UTC).isoformat(),
        }
        if self.value:
            data["value"] = str(self.value)
        if self.categories:
            data["categories"] = sorted(self.categories)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Contribution:
        return cls(
            reference=data["ref"],
            occurred_at=datetime.fromisoformat(data["at"]).astimezone(UTC),
            value=Decimal(data.get("value", "0")),
            categories=frozenset(data.get("categories", ())),
        )


@dataclass(frozen=True)
class ProgressState:
    """What `apply_event` has folded so far for one member and one rule (or challenge period).

    Start from `ProgressState()`; store it with `to_json` and load it with `from_json`.
    """

    total: Decimal = Decimal(0)
    recent_references: tuple[str, ...] = ()
    categories: frozenset[str] = field(default_factory=frozenset)
    runs: tuple[Run, ...] = ()
    earlier_days: int = 0
    contributions: tuple[Contribution, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The state as a JSON-ready dict; empty fields are left out."""
        data: dict[str, Any] = {}
        if self.total:
            data["total"] = str(self.total)
        if self.recent_references:
            data["recent_references"] = list(self.recent_references)
        if self.categories:
            data["categories"] = sorted(self.categories)
        if self.runs:
            data["runs"] = [[first, last] for first, last in self.runs]
        if self.earlier_days:
            data["earlier_days"] = self.earlier_days
        if self.contributions:
            data["contributions"] = [c.to_json() for c in self.contributions]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProgressState:
        """The state stored by `to_json` (an empty dict is the initial state)."""
        return cls(
            total=Decimal(data.get("total", "0")),
            recent_references=tuple(data.get("recent_references", ())),
            categories=frozenset(data.get("categories", ())),
            runs=tuple((int(first), int(last)) for first, last in data.get("runs", ())),
            earlier_days=int(data.get("earlier_days", 0)),
            contributions=tuple(Contribution.from_json(c) for c in data.get("contributions", ())),
        )
