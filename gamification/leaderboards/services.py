"""Leaderboard use cases for the API: define boards, open a board for reading."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from domain.audit import SYSTEM, Actor
from domain.errors import InvalidInput, NotFound
from domain.members.models import Member
from domain.versions import Versions
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.definitions import (
    LeaderboardSpec,
    save_definition,
    windows_of,
)
from gamification.leaderboards.models import LeaderboardDefinition, RegionField
from gamification.leaderboards.periods import LeaderboardWindow, Period, period_for
from gamification.leaderboards.rebuild import rebuild_board
from gamification.leaderboards.regions import check_region, member_region, normalise_region
from gamification.leaderboards.store import BoardKey


async def upsert_leaderboard(
    boards: Boards, spec: LeaderboardSpec, now: datetime, actor: Actor = SYSTEM
) -> LeaderboardDefinition:
    """Create the board `spec.code` or replace its definition (idempotent by code). A new
    board, or one whose metric, windows or region field changed, is recomputed from the
    database at once, so it shows the current periods' history.

    Audited as `leaderboard.upsert` by `actor`. Raises ValidationErrors (InvalidInput per
    input field).
    """
    definition, reshaped = await save_definition(spec, now, actor)
    if reshaped:
        await rebuild_board(boards, definition, now)
    return definition


@dataclass(frozen=True)
class OpenBoard:
    """A board's current period in one window and region, ready to be read from Redis."""

    definition: LeaderboardDefinition
    window: LeaderboardWindow
    region: str | None
    period: Period
    key: BoardKey
    #: The configuration versions the definition was checked against.
    versions: Versions


#: How old the definitions a read of a board uses may be: a board may be this stale anyway.
DEFINITIONS_MAX_AGE = 1.0
#: Boards a process keeps opened (`Boards.opened`) at most.
MAX_OPENED = 1_000


async def open_board(
    boards: Boards,
    code: str,
    window: LeaderboardWindow,
    region: str | None,
    member: Callable[[], Awaitable[Member | None]],
    now: datetime,
) -> OpenBoard:
    """The current period of board `code` in `window` and `region`. On a board kept per
    region, no region means the signed-in member's own (`member` is asked only then).

    The definition comes from the process's catalogue, checked against versions read at most
    a second ago (a board unknown to them is looked up again with versions read now). A board
    opened with the same versions, in the same period, is the one opened before (kept in
    `boards.opened`; not when its region is the member's own).

    Raises NotFound (no such board), InvalidInput on `window` (not kept by the board) or on
    `region` (given for a board without regions, no member's (`check_region`), or missing and
    not known for the member).
    """
    versions = await boards.versions.read(DEFINITIONS_MAX_AGE)
    asked = (code, window, region)
    opened = boards.opened.get(asked)
    if opened is not None and opened.versions == versions and opened.period.contains(now):
        return opened
    definition = await boards.catalogue.find(versions, code)
    if definition is None:
        definition = await boards.catalogue.find(await boards.versions.read(), code)
    if definition is None:
        raise NotFound(f"no leaderboard {code!r}", ["code"])
    if window not in windows_of(definition):
        raise InvalidInput(f"the board {code!r} is not kept {window.value}", ["window"])
    key_region: str | None = None
    # A board opened by the member's own region is theirs alone: not kept for others.
    shared = True
    if definition.region_field is None:
        if region is not None:
            raise InvalidInput(f"the board {code!r} has no regions", ["region"])
    else:
        field = RegionField(definition.region_field)
        key_region = normalise_region(field, check_region(field, region))
        if key_region is None:
            shared = False
            signed_in = await member()
            if signed_in is not None:
                key_region = member_region(definition, signed_in)
        if key_region is None:
            raise InvalidInput(
                f"the board {code!r} is kept per {field.value.lower()}: give a region",
                ["region"],
            )
    period = period_for(window, now, boards.tz)
    opened = OpenBoard(
        definition=definition,
        window=window,
        region=key_region,
        period=period,
        key=BoardKey(code, window, period.key, key_region),
        versions=versions,
    )
    if shared:
        if len(boards.opened) >= MAX_OPENED:  # regions asked are the callers' text
            boards.opened.clear()
        boards.opened[asked] = opened
    return opened
