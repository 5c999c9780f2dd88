"""Versions of the program's configuration, so that each process can keep it in memory.

Every admin change of a part of the configuration (the earning rules, the tier ladder, the
achievement catalogue) bumps that part's version in the same transaction (`bump_version`).
A process keeps what it read together with the version it read it at (`VersionedCache`), and
a use case reads every part's version in one query (`read_versions`), so that a purchase costs
one small read for all of its configuration instead of one read per part, and still sees an
admin's change made on any process the moment it commits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, Generic, TypeVar

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from domain.sql import Statement


class ConfigPart(StrEnum):
    EARNING_RULES = "earning_rules"
    TIERS = "tiers"
    ACHIEVEMENTS = "achievements"
    LEADERBOARDS = "leaderboards"
    #: The rewards catalogue, its stock figures included (bumped by redemptions of limited
    #: rewards and by coupons returning their unit).
    REWARDS = "rewards"
    #: The stores and their geofences (push.stores): bumped by every store change.
    STORES = "stores"
    #: The geofenced promotions (push.stores): bumped by every promotion change.
    PROMOTIONS = "promotions"
    #: The served recommendation version (domain.offers): bumped by every switch to a new one.
    RECOMMENDATIONS = "recommendations"
    #: The drops' definitions (domain.drops): bumped by every upsert, translation and raffle
    #: draw. Not by claims and released reservations: the drops list re-reads stock at most
    #: a second apart (`DropShelf`).
    DROPS = "drops"


class ConfigVersion(Model):
    """One row per part of the configuration, whose `version` grows with every change of it
    (no row: never changed)."""

    name = fields.CharField(max_length=40, primary_key=True)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "config_version"


Versions = Mapping[str, int]

_READ = Statement("SELECT name, version FROM config_version")


async def read_versions() -> Versions:
    """Every part's current version (parts never changed are left out: version 0)."""
    return {row["name"]: int(row["version"]) for row in await _READ.rows()}


#: Each part's version as columns of a statement that reads something else, so that a use
#: case reads its configuration's versions with its first statement instead of one more:
#: `_v0`, `_v1`... by part, each an uncorrelated subquery (computed once per statement).
VERSION_ALIASES = tuple((f"_v{n}", part) for n, part in enumerate(ConfigPart))
VERSION_COLUMNS = ", ".join(
    f"(SELECT version FROM config_version WHERE name = '{part.value}') AS {alias}"
    for alias, part in VERSION_ALIASES
)


def versions_in(row: Mapping[str, Any]) -> Versions:
    """The versions a row of a statement with `VERSION_COLUMNS` read, as `read_versions`
    answers them (parts never changed left out)."""
    return {
        part.value: int(str(row[alias]))
        for alias, part in VERSION_ALIASES
        if row[alias] is not None
    }


async def bump_version(part: ConfigPart) -> None:
    """Tell every process that `part` changed: call it inside the admin's transaction."""
    if await ConfigVersion.filter(name=part.value).update(version=F("version") + 1):
        return
    try:
        async with in_transaction():
            await ConfigVersion.create(name=part.value, version=1)
    except IntegrityError:
        # Created meanwhile by a concurrent change: bump that row.
        await ConfigVersion.filter(name=part.value).update(version=F("version") + 1)


T = TypeVar("T")


class SharedRead(Generic[T]):
    """One process's reads of something many requests ask for, shared by the callers that ask
    at the same time. `read(max_age)` answers with a value read by a query that began at most
    `max_age` seconds before the call: with 0, a query that began after the call (so a change
    committed before the call is seen); concurrent callers share one query instead of each
    sending theirs. Outside transactions only (the shared query runs on whichever connection
    is free)."""

    def __init__(
        self, load: Callable[[], Awaitable[T]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self._clock = clock
        self._latest: tuple[float, T] | None = None
        self._pending: tuple[float, asyncio.Future[T]] | None = None

    async def read(self, max_age: float = 0.0) -> T:
        asked = self._clock()
        oldest = asked - max_age
        if self._latest is not None and self._latest[0] >= oldest and max_age > 0:
            return self._latest[1]
        if self._pending is not None and self._pending[0] >= oldest:
            return await asyncio.shield(self._pending[1])
        started = self._clock()
        pending = asyncio.ensure_future(self._load())
        self._pending = (started, pending)
        try:
            value = await asyncio.shield(pending)
        finally:
            if self._pending is not None and self._pending[1] is pending:
                self._pending = None
        if self._latest is None or started >= self._latest[0]:
            self._latest = (started, value)
        return value


class VersionReader(SharedRead[Versions]):
    """The configuration versions, read by a process for its concurrent callers (`SharedRead`
    of `read_versions`)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(read_versions, clock)


class VersionedCache(Generic[T]):
    """A part of the configuration as last read, reloaded when its version moves.

    One per process (a runtime holds them; module state would outlive a test's database).
    `load` runs in the caller's transaction, after the versions were read, so a change
    committed in between only costs one more reload later, never a stale value kept.
    """

    def __init__(self, part: ConfigPart, load: Callable[[], Awaitable[T]]) -> None:
        self.part = part
        self._load = load
        self._value: T | None = None
        self._version: int | None = None
        self._reload = asyncio.Lock()

    def kept(self) -> tuple[int, T] | None:
        """The version last read and its value, without checking it (None before the first
        read): for a caller that checks the version it used against one read afterwards."""
        if self._version is None or self._value is None:
            return None
        return self._version, self._value

    async def get(self, versions: Versions) -> T:
        version = versions.get(self.part.value, 0)
        if self._version == version and self._value is not None:
            return self._value
        async with self._reload:
            if self._version != version or self._value is None:
                self._value = await self._load()
                self._version = version
        return self._value
