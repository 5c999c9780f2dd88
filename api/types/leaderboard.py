"""GraphQL types of leaderboards: definitions, a board's current period, its entries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import strawberry

from api.context import Info
from api.errors import to_client_error
from api.fragments import cache_hint, cached_object
from api.own_row import PublicRow, own_row_among
from api.types.common import MAX_PAGE_SIZE
from api.types.public_member import (
    PublicMember,
    own_public_row,
    public_rows,
    public_views,
    views_on,
)
from domain.errors import InvalidInput
from domain.tiers.models import Tier as TierModel
from domain.versions import ConfigPart, Versions
from gamification.leaderboards import models
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.closing import archived_standings
from gamification.leaderboards.periods import LeaderboardWindow as Window
from gamification.leaderboards.periods import previous_period
from gamification.leaderboards.services import OpenBoard
from gamification.leaderboards.store import Standing

MAX_RADIUS = 10
#: Seconds a board's shared parts (its top pages, its size) may be served from the cache:
#: live subscribers hear of changes at most once a second anyway.
BOARD_MAX_AGE = 1.0


@strawberry.enum(
    description="How long a board's period lasts; periods close at midnight in the program's time zone (weeks start on Monday)."
)
class LeaderboardWindow(Enum):
    DAILY = strawberry.enum_value("DAILY", description="One calendar day.")
    WEEKLY = strawberry.enum_value("WEEKLY", description="One ISO week, Monday to Sunday.")
    MONTHLY = strawberry.enum_value("MONTHLY", description="One calendar month.")
    ALL_TIME = strawberry.enum_value("ALL_TIME", description="Never closes.")


@strawberry.enum(description="What a board ranks.")
class LeaderboardMetric(Enum):
    POINTS_EARNED = strawberry.enum_value(
        "POINTS_EARNED",
        description="Points earned in the period (purchases, bonuses, referrals, engagement) "
        "minus points taken back by refunds; prizes and adjustments do not count.",
    )
    AMOUNT_SPENT = strawberry.enum_value(
        "AMOUNT_SPENT", description="Amount of purchases made in the period, less refunds."
    )
    PURCHASES = strawberry.enum_value(
        "PURCHASES", description="Purchases made in the period and not fully refunded."
    )
    CHALLENGES_COMPLETED = strawberry.enum_value(
        "CHALLENGES_COMPLETED", description="Challenges completed in the period."
    )


@strawberry.enum(description="The profile field that splits a board into one board per value.")
class RegionField(Enum):
    COUNTRY = strawberry.enum_value("COUNTRY", description="The member's country.")
    CITY = strawberry.enum_value("CITY", description="The member's city.")


@strawberry.type(description="A board as admins define it.")
class LeaderboardDefinition:
    code: str = strawberry.field(description="The board's unique code.")
    name: str = strawberry.field(description="The board's name, for people.")
    metric: LeaderboardMetric = strawberry.field(description="What the board ranks.")
    windows: list[LeaderboardWindow] = strawberry.field(description="The windows kept.")
    region_field: RegionField | None = strawberry.field(
        description="Set when the board is kept per country or per city."
    )
    prize_points: list[int] = strawberry.field(
        description="Bonus points for ranks 1, 2, 3, ... when a window closes."
    )

    @classmethod
    def from_model(cls, definition: models.LeaderboardDefinition) -> LeaderboardDefinition:
        return cls(
            code=definition.code,
            name=definition.name,
            metric=LeaderboardMetric(definition.metric.value),
            windows=[LeaderboardWindow(w) for w in definition.windows],
            region_field=RegionField(definition.region_field.value)
            if definition.region_field
            else None,
            prize_points=[int(p) for p in definition.prize_points],
        )


#: Seconds a completed entry may be kept (api.fragments): its key says everything it shows,
#: so this only bounds how long an entry nobody asks for again stays in memory.
ENTRY_MAX_AGE = 60.0


@cached_object(lambda entry, _: entry.shows, max_age=ENTRY_MAX_AGE)
@strawberry.type(description="A member's place on a board.")
class LeaderboardEntry:
    #: Everything the entry shows: its key in the fragment cache (None: not kept). The rank,
    #: score, member's id and name, and their tier's code and name with the version of the
    #: ladder it comes from (which decides the tier's other fields).
    shows: strawberry.Private[Hashable | None]
    rank: int = strawberry.field(
        description="1-based and unique: higher scores first; equal scores are ranked by who "
        "reached the score first."
    )
    score: float = strawberry.field(
        description="The member's score in the period (an amount has two decimals)."
    )
    member: PublicMember = strawberry.field(description="Who holds this place.")

    @classmethod
    def of(
        cls, standing: Standing, member: PublicMember, ladder_version: int | None
    ) -> LeaderboardEntry:
        """The entry of `standing`, held by `member` as placed on the ladder of version
        `ladder_version` (None: a ladder of unknown version, and the entry is not kept)."""
        score = float(standing.score)
        tier = member.tier
        shows = (
            None
            if ladder_version is None
            else (standing.rank, score, member.id, member.display_name, tier.code, tier.name,
                  ladder_version)
        )  # fmt: skip
        return cls(shows=shows, rank=standing.rank, score=score, member=member)


def _page_key(board: Leaderboard, _: object) -> tuple[object, int]:
    """A page of a board shows members' tiers: the ladder's version is part of its key."""
    return (board.board.key, board.board.versions.get(ConfigPart.TIERS.value, 0))


@strawberry.type(
    description="A board's current period in one window (and region). Ranks are dense and "
    "unique: higher scores first, equal scores ordered by who reached the score first."
)
class Leaderboard:
    board: strawberry.Private[OpenBoard]
    boards: strawberry.Private[Boards]
    #: The board's own field's info: what `me` and `aroundMe` read for the request (its
    #: context), so that they ask for no info of their own and take the executor's plain way
    #: (api.executor), without a resolve info, strawberry's resolver chain and graphql-core's
    #: completion of the value.
    info: strawberry.Private[Info]
    #: How many neighbours each side the read of the caller's neighbourhood covers (the
    #: widest valid radius of aroundMe in the request's selection, 0 for `me` alone): `me` and
    #: `aroundMe` share that one read.
    radius: strawberry.Private[int]
    #: The caller's neighbourhood, once read (`read_near`): None for other callers, members
    #: not created yet or erased; an exception when the read failed (raised by `me` and
    #: `aroundMe`, as their own read's would be).
    near: strawberry.Private[_Near | BaseException | None]
    #: Whether `near` holds the read, and `ladder` the tiers its entries are placed on.
    near_known: strawberry.Private[bool]
    ladder: strawberry.Private[Sequence[TierModel]]
    #: A read of the neighbourhood started by `me` or `aroundMe` themselves (when the
    #: board's resolver did not read it first), shared by both.
    near_reading: strawberry.Private[asyncio.Future[None] | None]
    code: str = strawberry.field(description="The board's code.")
    name: str = strawberry.field(description="The board's name.")
    metric: LeaderboardMetric = strawberry.field(description="What the board ranks.")
    window: LeaderboardWindow = strawberry.field(description="The window shown.")
    region: str | None = strawberry.field(
        description="The region shown (country code in upper case, city in lower case); "
        "null for a board without regions."
    )
    period_start: datetime | None = strawberry.field(
        description="When the current period began; null for ALL_TIME."
    )
    period_end: datetime | None = strawberry.field(
        description="When the current period closes (excluded); null for ALL_TIME."
    )

    @classmethod
    def from_open(
        cls, info: Info, boards: Boards, board: OpenBoard, radius: int = 0
    ) -> Leaderboard:
        return cls(
            board=board,
            boards=boards,
            info=info,
            radius=radius,
            near=None,
            near_known=False,
            ladder=(),
            near_reading=None,
            code=board.definition.code,
            name=board.definition.name,
            metric=LeaderboardMetric(board.definition.metric.value),
            window=LeaderboardWindow(board.window.value),
            region=board.region,
            period_start=board.period.start,
            period_end=board.period.end,
        )

    @strawberry.field(
        description="How many members have a score in the period (at most a second old).",
        metadata=cache_hint(BOARD_MAX_AGE, lambda board, _: board.board.key),
    )
    async def total_entries(self) -> int:
        return await self.boards.store.count(self.board.key)

    @strawberry.field(
        description="The standings from rank offset + 1: at most 100 at a time (at most a "
        "second old).",
        metadata=cache_hint(BOARD_MAX_AGE, _page_key),
    )
    async def top(
        self, info: Info, first: int | None = 10, offset: int | None = 0
    ) -> list[LeaderboardEntry]:
        first = 10 if first is None else first
        offset = 0 if offset is None else offset
        _check_page(first, offset)
        standings = await self.boards.store.top(self.board.key, first, offset)
        return await _entries(info, standings, self.board.versions)

    @strawberry.field(
        description="The period of this window that closed last, with its final standings "
        "(archived, prizes paid); null for ALL_TIME."
    )
    def previous_period(self) -> ClosedPeriod | None:
        if self.board.period.start is None:
            return None
        before = previous_period(self.board.window, self.board.period.start, self.boards.tz)
        if before is None:
            return None
        assert before.start is not None and before.end is not None
        return ClosedPeriod(
            period_key=before.key,
            window_value=self.window,
            code_value=self.code,
            region_value=self.region,
            period_start=before.start,
            period_end=before.end,
        )

    # `me` and `aroundMe` answer from the neighbourhood the board's resolver read (as its
    # lookahead saw them asked): plain values, no awaitable. A selection the lookahead did not
    # see reads it here, once for both (an awaitable then).

    @strawberry.field(
        description="The signed-in member's entry; null when the member has no score.",
        graphql_type=LeaderboardEntry | None,
    )
    def me(self) -> LeaderboardEntry | Awaitable[LeaderboardEntry | None] | None:
        if not self.near_known:
            return self._me_after_read(self.info)
        return self._me(self.info)

    async def _me_after_read(self, info: Info) -> LeaderboardEntry | None:
        await self._read_near_once(info)
        return self._me(info)

    def _me(self, info: Info) -> LeaderboardEntry | None:
        near = self._near()
        if near is None:
            return None
        standing = next((s for s in near.standings if s.member_id == near.own.id), None)
        if standing is None:
            return None
        [view] = views_on(info, [near.own], self.ladder)
        return LeaderboardEntry.of(standing, view, self._ladder_version())

    @strawberry.field(
        description="The signed-in member's entry with up to `radius` (at most 10) entries "
        "above and below; empty when the member has no score.",
        graphql_type=list[LeaderboardEntry],
    )
    def around_me(
        self, radius: int | None = 2
    ) -> list[LeaderboardEntry] | Awaitable[list[LeaderboardEntry]]:
        radius = 2 if radius is None else radius
        if not 0 <= radius <= MAX_RADIUS:
            raise to_client_error(
                InvalidInput(f"radius must be between 0 and {MAX_RADIUS}", ["radius"])
            )
        info = self.info
        if radius > self.radius:  # a radius the request's lookahead did not see
            return self._around_apart(info, radius)
        if not self.near_known:
            return self._around_after_read(info, radius)
        return self._around(info, radius)

    async def _around_apart(self, info: Info, radius: int) -> list[LeaderboardEntry]:
        member = await own_public_row(info)
        if member is None:
            return []
        standings = await self.boards.store.around(self.board.key, member.id, radius)
        return await _entries(info, standings, self.board.versions)

    async def _around_after_read(self, info: Info, radius: int) -> list[LeaderboardEntry]:
        await self._read_near_once(info)
        return self._around(info, radius)

    def _around(self, info: Info, radius: int) -> list[LeaderboardEntry]:
        near = self._near()
        if near is None:
            return []
        mine = next((i for i, s in enumerate(near.standings) if s.member_id == near.own.id), None)
        if mine is None:
            return []
        standings = near.standings[max(0, mine - radius) : mine + radius + 1]
        rows = near.rows
        found = [(s, m) for s in standings if (m := rows.get(s.member_id)) is not None]
        views = views_on(info, [m for _, m in found], self.ladder)
        version = self._ladder_version()
        return [
            LeaderboardEntry.of(s, view, version) for (s, _), view in zip(found, views, strict=True)
        ]

    def _ladder_version(self) -> int:
        return self.board.versions.get(ConfigPart.TIERS.value, 0)

    def _near(self) -> _Near | None:
        near = self.near
        if isinstance(near, BaseException):
            raise near
        return near

    async def read_near(self, info: Info) -> None:
        """Read the caller's row, their standing with `radius` neighbours each side and the
        neighbours' rows (one Redis read and, in steady state, one statement), and the ladder
        their entries are placed on. A failed read is kept in `near`: `me` and `aroundMe`
        raise it, as their own reads did, so the board's other fields still answer."""
        try:
            near = await self._read_near(info)
            if near is not None:
                self.ladder = await info.context.runtime.program.ladder(self.board.versions)
        except Exception as error:  # raised by me and aroundMe
            self.near = error
        else:
            self.near = near
        self.near_known = True

    async def _read_near_once(self, info: Info) -> None:
        if self.near_reading is None:
            self.near_reading = asyncio.ensure_future(self.read_near(info))
        await asyncio.shield(self.near_reading)

    async def _read_near(self, info: Info) -> _Near | None:
        standings: dict[int, list[Standing]] = {}

        async def around(member_id: int) -> list[int]:
            near = await self.boards.store.around(self.board.key, member_id, self.radius)
            standings[member_id] = near
            return [s.member_id for s in near]

        mine = await own_row_among(info, around)
        if mine is None:
            return None
        own, rows = mine
        return _Near(own=own, standings=standings[own.id], rows=rows)


@dataclass(frozen=True, slots=True)
class _Near:
    """The caller's neighbourhood on a board: their row, the standings around them (empty
    when they have no score) and the rows of the members in them, by id (erased ones have
    none)."""

    own: PublicRow
    standings: list[Standing]
    rows: dict[int, PublicRow]


@strawberry.type(description="The final standings of a closed period of a board, as archived.")
class ClosedPeriod:
    period_key: strawberry.Private[str]
    window_value: strawberry.Private[LeaderboardWindow]
    code_value: strawberry.Private[str]
    region_value: strawberry.Private[str | None]
    period_start: datetime = strawberry.field(description="When the period began.")
    period_end: datetime = strawberry.field(description="When the period closed (excluded).")

    @strawberry.field(
        description="The final standings from rank offset + 1 (at most 100 at a time); empty "
        "until the period is archived, shortly after it closes."
    )
    async def top(
        self, info: Info, first: int | None = 10, offset: int | None = 0
    ) -> list[LeaderboardEntry]:
        first = 10 if first is None else first
        offset = 0 if offset is None else offset
        _check_page(first, offset)
        standings = await archived_standings(
            self.code_value, Window(self.window_value.value), self.period_key, self.region_value,
            first, offset,
        )  # fmt: skip
        return await _entries(info, standings)


def _check_page(first: int, offset: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise to_client_error(
            InvalidInput(f"first must be between 0 and {MAX_PAGE_SIZE}", ["first"])
        )
    if offset < 0:
        raise to_client_error(InvalidInput("offset must not be negative", ["offset"]))


async def _entries(
    info: Info, standings: list[Standing], versions: Versions | None = None
) -> list[LeaderboardEntry]:
    """Entries with their members read in one statement; members erased meanwhile are left
    out (their removal from the board is on its way). Tiers come from the ladder as of
    `versions` when given (the board's), else as of a read of the request's."""
    members = await public_rows([s.member_id for s in standings])
    found = [(s, m) for s, m in zip(standings, members, strict=True) if m is not None]
    views = await public_views(info, [m for _, m in found], versions)
    version = None if versions is None else versions.get(ConfigPart.TIERS.value, 0)
    return [
        LeaderboardEntry.of(s, view, version) for (s, _), view in zip(found, views, strict=True)
    ]
