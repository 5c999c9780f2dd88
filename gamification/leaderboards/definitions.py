"""Board definitions: created and changed by admins, read by everyone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, record_change, row_snapshot
from domain.errors import InputErrors, InvalidInput
from domain.versions import ConfigPart, VersionedCache, Versions, bump_version
from gamification.leaderboards.models import LeaderboardDefinition, LeaderboardMetric, RegionField
from gamification.leaderboards.periods import LeaderboardWindow

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_PRIZE_RANKS = 100
MAX_PRIZE_POINTS = 1_000_000


@dataclass(frozen=True)
class LeaderboardSpec:
    """A board as an admin describes it (the input of upsert_leaderboard)."""

    code: str
    name: str
    metric: LeaderboardMetric
    windows: tuple[LeaderboardWindow, ...]
    region_field: RegionField | None = None
    prize_points: tuple[int, ...] = ()


def windows_of(definition: LeaderboardDefinition) -> list[LeaderboardWindow]:
    return [LeaderboardWindow(w) for w in definition.windows]


def validate_spec(spec: LeaderboardSpec) -> LeaderboardSpec:
    """The spec with its name trimmed; raises ValidationErrors naming every field at fault."""
    problems = InputErrors()
    if not CODE_PATTERN.match(spec.code):
        problems.add(
            InvalidInput(
                "code: 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit",
                ["input", "code"],
            )
        )
    name = " ".join(spec.name.split())
    if not 1 <= len(name) <= 120:
        problems.add(InvalidInput("name: 1-120 characters", ["input", "name"]))
    if not spec.windows:
        problems.add(InvalidInput("windows: keep at least one window", ["input", "windows"]))
    elif len(set(spec.windows)) != len(spec.windows):
        problems.add(InvalidInput("windows: a window is listed twice", ["input", "windows"]))
    if len(spec.prize_points) > MAX_PRIZE_RANKS:
        problems.add(
            InvalidInput(f"prizePoints: at most {MAX_PRIZE_RANKS} ranks", ["input", "prizePoints"])
        )
    elif any(not 0 <= p <= MAX_PRIZE_POINTS for p in spec.prize_points):
        problems.add(
            InvalidInput(
                f"prizePoints: each between 0 and {MAX_PRIZE_POINTS}", ["input", "prizePoints"]
            )
        )
    problems.raise_any()
    return LeaderboardSpec(
        code=spec.code,
        name=name,
        metric=spec.metric,
        windows=tuple(spec.windows),
        region_field=spec.region_field,
        prize_points=tuple(spec.prize_points),
    )


async def save_definition(
    spec: LeaderboardSpec, now: datetime, actor: Actor = SYSTEM
) -> tuple[LeaderboardDefinition, bool]:
    """Create or replace the definition of `spec.code`; returns it and whether what Redis holds
    for it must be recomputed (a new board, or another metric, region field or windows).
    Audited as `leaderboard.upsert` by `actor`.

    Raises ValidationErrors (InvalidInput per field).
    """
    spec = validate_spec(spec)
    values = {
        "name": spec.name,
        "metric": spec.metric,
        "windows": [w.value for w in spec.windows],
        "region_field": spec.region_field,
        "prize_points": list(spec.prize_points),
        "updated_at": now,
    }
    async with in_transaction():
        existing = await LeaderboardDefinition.filter(code=spec.code).select_for_update().first()
        if existing is None:
            definition, created = await LeaderboardDefinition.get_or_create(
                code=spec.code, defaults={**values, "created_at": now}
            )
            if created:
                await record_change(
                    actor, "leaderboard.upsert", "leaderboard", spec.code, None,
                    row_snapshot(definition), now,
                )  # fmt: skip
                await bump_version(ConfigPart.LEADERBOARDS)
                return definition, True
            existing = definition
        before = row_snapshot(existing)
        reshaped = (
            existing.metric != spec.metric
            or existing.region_field != spec.region_field
            or list(existing.windows) != values["windows"]
        )
        await LeaderboardDefinition.filter(id=existing.id).update(**values)
        await existing.refresh_from_db()
        await record_change(
            actor, "leaderboard.upsert", "leaderboard", spec.code, before,
            row_snapshot(existing), now,
        )  # fmt: skip
        await bump_version(ConfigPart.LEADERBOARDS)
        return existing, reshaped


async def list_definitions() -> list[LeaderboardDefinition]:
    """Every board, by code."""
    return await LeaderboardDefinition.all().order_by("code")


async def _by_code() -> dict[str, LeaderboardDefinition]:
    return {d.code: d for d in await list_definitions()}


class BoardCatalogue:
    """Every board's definition, kept per process and read again only when an admin changed
    one (`ConfigPart.LEADERBOARDS`). What it returns is shared: treat it as read-only."""

    def __init__(self) -> None:
        self._boards = VersionedCache(ConfigPart.LEADERBOARDS, _by_code)

    async def all(self, versions: Versions) -> list[LeaderboardDefinition]:
        """Every board, by code."""
        return list((await self._boards.get(versions)).values())

    async def find(self, versions: Versions, code: str) -> LeaderboardDefinition | None:
        return (await self._boards.get(versions)).get(code)
