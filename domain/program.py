"""The program's configuration as every purchase needs it: earning rules and tier ladder.

Kept in memory per process (`ProgramCache`, one per runtime) and re-read only when an admin
changed it, which the configuration versions tell (`domain.versions`, one query for all).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.points.models import EarningRules
from domain.points.rules import earning_rules
from domain.tiers.models import Tier
from domain.tiers.services import tier_ladder
from domain.versions import ConfigPart, VersionedCache, Versions, read_versions


@dataclass(frozen=True)
class Program:
    """What was read: treat it as read-only, it is shared by concurrent requests."""

    versions: Versions
    rules: EarningRules
    ladder: tuple[Tier, ...]


async def _ladder() -> tuple[Tier, ...]:
    return tuple(await tier_ladder())


class ProgramCache:
    def __init__(self) -> None:
        self._rules = VersionedCache(ConfigPart.EARNING_RULES, earning_rules)
        self._ladder = VersionedCache(ConfigPart.TIERS, _ladder)

    async def ladder(self, versions: Versions) -> tuple[Tier, ...]:
        """The tier ladder as of `versions` (read by the caller, possibly shared)."""
        return await self._ladder.get(versions)

    async def current(self) -> Program:
        """The configuration as of now: one read of the versions, more only after a change."""
        versions = await read_versions()
        return Program(
            versions=versions,
            rules=await self._rules.get(versions),
            ladder=await self._ladder.get(versions),
        )
