"""The admission gate of first-come drops: who may even try for a unit.

A drop's opening second is a flash sale: thousands of members tap for a hundred units. The
database's guarded decrement (`remaining = remaining - 1 WHERE remaining > 0`, last in the
claim's transaction) is the one authority on stock, but every claim that reaches it has already
locked its member, debited points and inserted a claim, only to roll it all back once the stock
is gone. The gate, a counter of the units still admittable kept outside the database
(`UnitCounter`, Redis in production), lets through about as many claims as there are units and
answers the rest OUT_OF_STOCK without a transaction.

A claim let through holds its unit until it ends: it settles the hold once committed, or gives
the unit back when it fails for another reason than stock (not eligible, already claimed, not
enough points, a replay). While units are held, a claim that finds none free waits for the
holders to end rather than being told "sold out" for a unit that may come back; a hold left by
a process that died lapses after `UnitCounter` holds it for long enough.

The counter is derived state, rebuilt from the database at any time:

- missing (never seeded, expired, Redis restarted): seeded with the drop's `remaining`;
- empty with no hold while the database still has units (a lapsed reservation released, a
  quantity raised by an admin, a give-back lost on the way): refilled from the database by the
  next claim that meets it, at most once per `refill_every` per process.

So the gate may let a few claims too many through (the database refuses them), never loses a
unit.

The claim's rate limit (`Attempts`, counted by api.ratelimit) can be counted in the gate's own
step: a claim that reaches the gate then pays one round trip for both, and a claim past its
limit takes nothing. If the counter is unreachable the claim goes to the database alone, as if there were no
gate; this is logged once until the counter answers again.

The drop's terms (window, mode) are read at most once per `terms_max_age` per process: the
early answers may follow an admin's change of the window that late; the transaction re-reads
the drop and decides with fresh terms.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any, Protocol, TypeVar, cast

from domain.drops.models import Drop
from domain.errors import RateLimited

log = logging.getLogger("fidelio.drops.admission")
T = TypeVar("T")


class CounterUnavailable(Exception):
    """The counter could not be reached: decide without it."""


class Take(IntEnum):
    """What the counter answers to a claim asking for a unit."""

    #: No unit left and none held: sold out as far as the counter knows.
    NONE_LEFT = 0
    #: A unit is now held by the claim.
    TAKEN = 1
    #: No unit free, but some are held by claims still running: ask again shortly.
    HELD = 2
    #: The drop has no count: seed it from the database.
    NO_COUNT = 3
    #: The caller is past its attempt limit (`Attempts`): nothing was taken.
    LIMITED = 4


@dataclass(frozen=True)
class Attempts:
    """A caller's count of claim attempts in the current window (the claim's rate limit): one
    per claim, bumped in the gate's own step when the claim reaches the gate, by `count()`
    otherwise (before any database work). Past `limit` the claim is refused with `refuse()`."""

    #: The counter's key; it expires `expire_seconds` after its first attempt.
    key: str
    limit: int
    expire_seconds: int
    #: The refusal, built only when one is needed.
    refuse: Callable[[], RateLimited]
    #: Counts one attempt on its own; raises RateLimited past the limit.
    count: Callable[[], Awaitable[object]]


class UnitCounter(Protocol):
    """Units still admittable per drop, and the units held by running claims, shared by every
    process. Every method raises CounterUnavailable when the counter cannot be reached."""

    async def take(self, drop_id: int, hold: str, attempts: Attempts | None = None) -> Take:
        """Take one unit for the claim `hold` (a unique token). With `attempts`, count one
        attempt first, atomically with it where the counter can (LIMITED past the limit, or
        RateLimited from `attempts.count()`)."""
        ...

    async def settle(self, drop_id: int, hold: str) -> None:
        """The claim `hold` committed: its unit is sold."""
        ...

    async def give_back(self, drop_id: int, hold: str) -> None:
        """The claim `hold` failed: its unit is free again (unless the count is gone
        meanwhile: it will be seeded from the database)."""
        ...

    async def seed(self, drop_id: int, units: int) -> None:
        """Set the count to `units` if the drop has none (a count set meanwhile stays)."""
        ...

    async def refill(self, drop_id: int, units: int) -> bool:
        """Set the count to `units` if it is missing, or empty with no unit held (a count set
        meanwhile, or held units, leave it alone). True if it was set."""
        ...


class Admission(Enum):
    #: The claim holds a unit: settle it once committed, give it back if the claim fails.
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
        wait_at_most: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counter = counter
        self.terms_max_age = terms_max_age
        self.refill_every = refill_every
        self.wait_at_most = wait_at_most
        self._clock = clock
        self._terms: dict[int, tuple[float, Drop]] = {}
        self._checked: dict[int, float] = {}
        self._down_at: float | None = None
        self._pending: dict[tuple[str, int], asyncio.Future[Any]] = {}
        self._hold_prefix = secrets.token_hex(8) + ":"
        self._holds = itertools.count()

    async def terms(self, drop_id: int) -> Drop | None:
        """The drop as read at most `terms_max_age` ago in this process (its `remaining` is
        stale: only the window and mode are for use). Concurrent callers share one read."""
        cached = self._terms.get(drop_id)
        if cached is not None and self._clock() - cached[0] <= self.terms_max_age:
            return cached[1]
        return await self._once(("terms", drop_id), lambda: self._read_terms(drop_id))

    async def _read_terms(self, drop_id: int) -> Drop | None:
        read_at = self._clock()
        drop = await Drop.get_or_none(id=drop_id)
        if drop is not None:
            self._terms[drop_id] = (read_at, drop)
        return drop

    async def _once(self, name: tuple[str, int], read: Callable[[], Awaitable[T]]) -> T:
        """`read()`, shared by the callers that ask for `name` while it runs (the crowd of
        the opening second would otherwise send the same query hundreds of times)."""
        pending = self._pending.get(name)
        if pending is None:
            pending = asyncio.ensure_future(read())
            self._pending[name] = pending
            pending.add_done_callback(lambda _: self._pending.pop(name, None))
        return cast(T, await asyncio.shield(pending))

    def forget(self, drop_id: int) -> None:
        """Read the drop's terms afresh next time (after this process changed them)."""
        self._terms.pop(drop_id, None)

    def new_hold(self) -> str:
        """A token naming one claim's hold on a unit: unique to this gate (a counter) among
        every process's (a random prefix), without asking the system for randomness."""
        return f"{self._hold_prefix}{next(self._holds):x}"

    async def admit(self, drop_id: int, hold: str, attempts: Attempts | None = None) -> Admission:
        """Take a unit for the claim `hold` about to run: seed the gate from the database when
        it has no count, wait while every unit is held by running claims, refill it from the
        database when it is empty while the database still has units. With `attempts`, the
        caller's attempt is counted in the same step; past its limit this raises its
        RateLimited refusal (uncounted if the gate is unreachable, as the rate limit is)."""
        started = self._clock()
        try:
            taken = await self._take(drop_id, hold, attempts)
            if taken == Take.NONE_LEFT and self._may_refill(drop_id):
                remaining = await _remaining(drop_id)
                if remaining > 0 and await self.counter.refill(drop_id, remaining):
                    taken = await self._take(drop_id, hold)
        except CounterUnavailable as error:
            self._went_down(error)
            return Admission.BYPASSED
        self._came_back(started)
        return Admission.ADMITTED if taken == Take.TAKEN else Admission.SOLD_OUT

    async def _take(self, drop_id: int, hold: str, attempts: Attempts | None = None) -> Take:
        pause = 0.005
        waited = 0.0
        seeded = False
        while True:
            taken = await self.counter.take(drop_id, hold, attempts)
            if taken == Take.LIMITED and attempts is not None:
                raise attempts.refuse()
            attempts = None  # counted once, by the first call
            if taken == Take.NO_COUNT:
                if seeded:  # a count that does not stay: no gate to speak of
                    raise CounterUnavailable("the count of the drop does not stay")
                await self._once(("seed", drop_id), lambda: self._seed(drop_id))
                seeded = True
                continue
            if taken != Take.HELD or waited >= self.wait_at_most:
                return Take.NONE_LEFT if taken == Take.HELD else taken
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.05)

    async def _seed(self, drop_id: int) -> None:
        await self.counter.seed(drop_id, await _remaining(drop_id))

    async def settle(self, drop_id: int, hold: str) -> None:
        """The claim holding `hold` committed. If the counter is unreachable the hold lapses
        on its own."""
        try:
            await self.counter.settle(drop_id, hold)
        except CounterUnavailable as error:
            self._went_down(error)

    async def give_back(self, drop_id: int, hold: str) -> None:
        """The claim holding `hold` failed for a reason other than stock: its unit is free.
        Lost if the counter is unreachable: the next refill recovers it."""
        try:
            await self.counter.give_back(drop_id, hold)
        except CounterUnavailable as error:
            self._went_down(error)

    def _may_refill(self, drop_id: int) -> bool:
        now = self._clock()
        last = self._checked.get(drop_id)
        if last is not None and now - last < self.refill_every:
            return False
        self._checked[drop_id] = now
        return True

    def _went_down(self, error: CounterUnavailable) -> None:
        if self._down_at is None:
            self._down_at = self._clock()
            log.warning(
                "drop admission gate unreachable (%s): claims go to the database alone", error
            )

    def _came_back(self, started: float) -> None:
        # Only a call that began after the failure was seen tells that the counter is back
        # (calls already on their way when it failed may still succeed).
        if self._down_at is not None and started > self._down_at:
            self._down_at = None
            log.warning("drop admission gate reachable again")


async def _remaining(drop_id: int) -> int:
    found = await Drop.filter(id=drop_id).values_list("remaining", flat=True)
    return int(found[0]) if found else 0
