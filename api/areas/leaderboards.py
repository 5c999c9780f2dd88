"""GraphQL of leaderboards: definitions (admins), boards and their entries, live changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types.nodes import SelectedField

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.live import ChannelFanout
from api.lookahead import child_fields, per_document
from api.runtime import Runtime, make_boards
from api.types.common import UserError, user_errors
from api.types.leaderboard import (
    MAX_RADIUS,
    Leaderboard,
    LeaderboardDefinition,
    LeaderboardMetric,
    LeaderboardWindow,
    RegionField,
)
from domain.errors import DomainError
from gamification.leaderboards import models, services
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.definitions import LeaderboardSpec
from gamification.leaderboards.periods import LeaderboardWindow as Window


@strawberry.input(description="A board to create, or to replace by its code.")
class LeaderboardInput:
    code: str = strawberry.field(
        description="1-64 letters, digits, '_', '-' or '.'; the board's key."
    )
    name: str = strawberry.field(description="1-120 characters.")
    metric: LeaderboardMetric = strawberry.field(description="What the board ranks.")
    windows: list[LeaderboardWindow] = strawberry.field(
        description="The windows to keep, at least one."
    )
    region_field: RegionField | None = strawberry.field(
        default=None, description="Keep one board per country or per city."
    )
    prize_points: list[int] | None = strawberry.field(
        default=None,
        description="Bonus points for ranks 1, 2, 3, ... when a period closes (at most 100 "
        "ranks, each 0-1,000,000).",
    )


@strawberry.type(description="The result of upsertLeaderboard.")
class LeaderboardPayload:
    leaderboard: LeaderboardDefinition | None = strawberry.field(
        description="The board as saved; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


def boards_of(runtime: Runtime) -> Boards:
    return (
        runtime.boards
        if runtime.boards is not None
        else make_boards(runtime.settings, runtime.redis)
    )


async def _open(
    info: Info, code: str, window: LeaderboardWindow, region: str | None
) -> Leaderboard:
    boards = boards_of(info.context.runtime)
    try:
        board = await services.open_board(
            boards,
            code,
            Window(window.value),
            region,
            info.context.member_or_none,
            info.context.now,
        )
    except DomainError as error:
        raise to_client_error(error) from error
    radius = _near_asked(info)
    leaderboard = Leaderboard.from_open(info, boards, board, radius or 0)
    if radius is not None:
        # me and aroundMe then answer with plain values, without awaiting each its own way
        await leaderboard.read_near(info)
    return leaderboard


def _near_asked(info: Info) -> int | None:
    """The radius the request's selection of the board needs around the caller: the widest
    valid radius of aroundMe, 0 when only `me` is asked, None when neither is (nor an
    aroundMe it will refuse). Through fragments too; directives are not weighed (a field
    under `@skip` costs a read not needed). Kept per document and variables (a radius may be
    a variable)."""
    variables = info.variable_values
    return per_document(
        info,
        ("near", repr(sorted(variables.items())) if variables else ""),
        lambda: _near_radius(child_fields(info)),
    )


def _near_radius(fields: dict[str, list[SelectedField]]) -> int | None:
    radius = 0 if "me" in fields else None
    for part in fields.get("aroundMe", ()):
        asked = part.arguments.get("radius", 2)
        if asked is None:
            asked = 2  # aroundMe's default
        elif isinstance(asked, str) and asked.isdigit():
            asked = int(asked)  # a literal: strawberry gives the document's text
        if isinstance(asked, int) and 0 <= asked <= MAX_RADIUS:
            radius = max(radius or 0, asked)
    return radius


@strawberry.type
class Query:
    @strawberry.field(description="Every leaderboard, by code.")
    async def leaderboards(self, info: Info) -> list[LeaderboardDefinition]:
        info.context.require(Role.MEMBER, Role.ADMIN)
        boards = boards_of(info.context.runtime)
        definitions = await boards.catalogue.all(await info.context.versions())
        return [LeaderboardDefinition.from_model(d) for d in definitions]

    @strawberry.field(
        description="A board's current period. On a board kept per region, no region means "
        "the signed-in member's own. Errors: NOT_FOUND (no such board), "
        "INVALID_INPUT (a window the board does not keep, a region it does not have)."
    )
    async def leaderboard(
        self, info: Info, code: str, window: LeaderboardWindow, region: str | None = None
    ) -> Leaderboard:
        info.context.require(Role.MEMBER, Role.ADMIN)
        return await _open(info, code, window, region)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: create a board or replace it by code. A new board, or one whose "
        "metric, windows or region field changed, is recomputed from the history at once."
    )
    async def upsert_leaderboard(self, info: Info, input: LeaderboardInput) -> LeaderboardPayload:
        actor = info.context.admin()
        spec = LeaderboardSpec(
            code=input.code,
            name=input.name,
            metric=models.LeaderboardMetric(input.metric.value),
            windows=tuple(Window(w.value) for w in input.windows),
            region_field=models.RegionField(input.region_field.value)
            if input.region_field
            else None,
            prize_points=tuple(input.prize_points or ()),
        )
        boards = boards_of(info.context.runtime)
        try:
            saved = await services.upsert_leaderboard(boards, spec, info.context.now, actor)
        except DomainError as error:
            return LeaderboardPayload(leaderboard=None, user_errors=user_errors(error))
        return LeaderboardPayload(
            leaderboard=LeaderboardDefinition.from_model(saved), user_errors=[]
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The board again whenever its top changes (at most once a second per "
        "board, the latest state), from whichever server process the change came through."
    )
    async def leaderboard_changed(
        self, info: Info, code: str, window: LeaderboardWindow, region: str | None = None
    ) -> AsyncGenerator[Leaderboard, None]:
        info.context.require(Role.MEMBER, Role.ADMIN)
        # Each push follows a change: its answer is executed anew, never served from the cache.
        info.context.fresh_fragments = True
        first = await _open(info, code, window, region)
        runtime = info.context.runtime
        fanout = runtime.fanout if runtime.fanout is not None else ChannelFanout(runtime.redis)
        channel = first.boards.store.changes_channel(first.board.key)
        # resync: after a Redis outage the board is read again, whatever was missed.
        async with fanout.listen(channel, resync=True) as changes:
            while True:
                await changes.get()
                # Each push is a fresh read: new loaders, and the period current now.
                info.context.loaders.clear()
                yield await _open(info, code, window, first.region)
