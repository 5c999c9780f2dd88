"""The admission gate of first-come drops: who may even try for a unit.

A drop's opening second is a flash sale: thousands of members tap for a hundred units. The
database's guarded decrement (`remaining = remaining - 1 WHERE remaining > 0`, last in the
claim's transaction) is the one authority on stock, but every claim that reaches it has already
locked its member, debited points and inserted a claim, only to roll it all back once the stock
is gone. The gate, a counter of the units still admittable kept outside the database
(`UnitCounter`, Redis in production), lets through roughly as many claims as there are units
and answers the rest OUT_OF_STOCK without a transaction.

The counter is derived state, rebuilt from the database at any time:

- missing (never seeded, expired, Redis restarted): seeded with the drop's `remaining`;
- a claim it admitted that fails for another reason (not eligible, already claimed, not enough
  points, a replay) gives its unit back; one that the database refuses for stock does not;
- when it says none is left but the database still has units (a lapsed reservation released,
  a quantity raised by an admin, a unit whose give-back was lost), the next claim that meets
  the empty gate refills it from the database, at most once per `refill_every` per process.

So the gate may let a few claims too many through (the database refuses them), never loses a
unit for long. If the counter is unreachable the claim goes to the database alone, as if
there were no gate; this is logged once until the counter answers again.

The drop's terms (window, mode) are read at most once per `terms_max_age` per process: the
early answers may follow an admin's change of the window that late, the transaction re-reads
the drop and decides with fresh terms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from domain.drops.models import Drop

log = logging.getLogger("fidelio.drops.admission")


class CounterUnavailable(Exception):
    """The counter could not be reached: decide without it."""


class UnitCounter(Protocol):
    """Units still admittable per drop, shared by every process."""

    async def take(self, drop_id: int) -> int | None:
        """Take one unit: 1 taken, 0 none left, None when the drop has no count yet.
        Raises CounterUnavailable."""
        ...

    async def give_back(self, drop_id: int) -> None:
        """Return one unit taken by `take` (nothing if the count is gone meanwhile: it will be
        seeded from the database). Raises CounterUnavailable."""
        ...

    async def refill(self, drop_id: int, units: int) -> bool:
        """Set the count to `units` if it is missing or at most 0 (a positive count is left
        alone: another process refilled it meanwhile). True if it was set. Raises
        CounterUnavailable."""
        ...


class Admission(Enum):
    #: A unit was taken from the gate: give it back if the claim fails for another reason.
    ADMITTED = "ADMITTED"
    #: No unit left, and the database agrees (as of a read at most `refill_every` old).
    SOLD_OUT = "SOLD_OUT"
    #: The gate could not tell (unreachable): the database decides alone.
    BYPASSED = "BYPASSED"


class DropAdmission:
    """One process's gate in front of first-come claims (see the module's docstring)."""

    def __init__(
        self,
        counter: UnitCounter,
        *,
        terms_max_age: float = 1.0,
        refill_every: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counter = counter
        self.terms_max_age = terms_max_age
        self.refill_every = refill_every
        self._clock = clock
        self._terms: dict[int, tuple[float, Drop]] = {}
        self._checked: dict[int, float] = {}
        self._down = False

    async def terms(self, drop_id: int) -> Drop | None:
        """The drop as read at most `terms_max_age` ago in this process (its `remaining` is
        stale: only the window and mode are for use)."""
        now = self._clock()
        cached = self._terms.get(drop_id)
        if cached is not None and now - cached[0] <= self.terms_max_age:
            return cached[1]
        drop = await Drop.get_or_none(id=drop_id)
        if drop is not None:
            self._terms[drop_id] = (now, drop)
        return drop

    def forget(self, drop_id: int) -> None:
        """Read the drop's terms afresh next time (after this process changed them)."""
        self._terms.pop(drop_id, None)

    async def admit(self, drop_id: int) -> Admission:
        """Take a unit for a claim about to run, seeding or refilling the gate from the
        database when it has no count or is empty while the database still has units."""
        try:
            taken = await self.counter.take(drop_id)
            if taken is None:
                await self.counter.refill(drop_id, await _remaining(drop_id))
                taken = await self.counter.take(drop_id)
            if not taken and self._may_refill(drop_id):
                remaining = await _remaining(drop_id)
                if remaining > 0:
                    await self.counter.refill(drop_id, remaining)
                    taken = await self.counter.take(drop_id)
        except CounterUnavailable:
            self._went_down()
            return Admission.BYPASSED
        self._came_back()
        return Admission.ADMITTED if taken else Admission.SOLD_OUT

    async def give_back(self, drop_id: int) -> None:
        """Return a unit taken by `admit` for a claim that failed for a reason other than
        stock. Lost if the counter is unreachable: the next refill recovers it."""
        try:
            await self.counter.give_back(drop_id)
        except CounterUnavailable:
            self._went_down()

    def _may_refill(self, drop_id: int) -> bool:
        now = self._clock()
        last = self._checked.get(drop_id)
        if last is not None and now - last < self.refill_every:
            return False
        self._checked[drop_id] = now
        return True

    def _went_down(self) -> None:
        if not self._down:
            self._down = True
            log.warning("drop admission gate unreachable: claims go to the database alone")

    def _came_back(self) -> None:
        if self._down:
            self._down = False
            log.warning("drop admission gate reachable again")


async def _remaining(drop_id: int) -> int:
    found = await Drop.filter(id=drop_id).values_list("remaining", flat=True)
    return int(found[0]) if found else 0
