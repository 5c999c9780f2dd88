"""The program's configuration as every credit needs it: earning rules and tier ladder.

Kept in memory per process (`ProgramCache`, one per runtime) and re-read only when an admin
changed it, which the configuration versions tell (`domain.versions`, one query for all,
shared by the process's concurrent callers through its `VersionReader`).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.points.models import EarningRules
from domain.points.rules import earning_rules
from domain.tiers.models import Tier
from domain.tiers.services import tier_ladder
from domain.versions import ConfigPart, VersionedCache, VersionReader, Versions, read_versions


@dataclass(frozen=True)
class Program:
    """What was read: treat it as read-only, it is shared by concurrent requests."""

    versions: Versions
    rules: EarningRules
    ladder: tuple[Tier, ...]


async def _ladder() -> tuple[Tier, ...]:
    return tuple(await tier_ladder())


async def read_program() -> Program:
    """The configuration read now, without a cache (two queries): for callers that hold no
    `ProgramCache` (scripts, rare admin paths); it carries no versions."""
    return Program(versions={}, rules=await earning_rules(), ladder=await _ladder())


class ProgramCache:
    """One process's earning rules and tier ladder, each reloaded when its version moves.

    `reader`: the process's shared `VersionReader` (the runtime's), so that the purchase path
    and every other caller share one read of the versions.
    """

    def __init__(self, reader: VersionReader | None = None) -> None:
        self.reader = reader or VersionReader()
        self._rules = VersionedCache(ConfigPart.EARNING_RULES, earning_rules)
        self._ladder = VersionedCache(ConfigPart.TIERS, _ladder)

    async def ladder(self, versions: Versions) -> tuple[Tier, ...]:
        """The tier ladder as of `versions` (read by the caller, possibly shared)."""
        return await self._ladder.get(versions)

    def kept_rules(self) -> tuple[int, EarningRules] | None:
        """The earning rules as last read and their version, unchecked (`VersionedCache.kept`):
        a caller that reads the versions later checks its guess against them."""
        return self._rules.kept()

    async def current(self, versions: Versions | None = None) -> Program:
        """The configuration as of `versions` (read by the caller) or, without them, as of
        now: through the shared reader, so call it outside a transaction then (a read that
        began after the call, possibly another caller's). More queries only after a change."""
        if versions is None:
            versions = await self.reader.read()
        return Program(
            versions=versions,
            rules=await self._rules.get(versions),
            ladder=await self._ladder.get(versions),
        )


async def program_now(cache: ProgramCache | None) -> Program:
    """The configuration as of now, for a caller inside its transaction: the versions read on
    the transaction's own connection (one query; the shared reader must not be awaited inside
    a transaction, whose connection SQLite would hold), then `cache`'s copy. Without a cache,
    the configuration itself is read (`read_program`)."""
    if cache is None:
        return await read_program()
    return await cache.current(await read_versions())
