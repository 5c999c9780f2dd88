"""GraphQL types of the points ledger: summaries, entries and the history connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.common import (
    Channel,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_info_of,
    page_size,
)
from domain.errors import DomainError
from domain.points import ledger
from domain.points.balances import PointsFigures, expiring_soon, figures, summaries
from domain.points.history import points_history
from domain.points.models import EarningRules as EarningRulesModel
from domain.points.models import PointsEntry as PointsEntryModel

HISTORY_CURSOR = "points-entry"


@strawberry.type(description="Points that expire together.")
class PointsExpiry:
    points: int = strawberry.field(description="How many points expire then.")
    expires_at: datetime = strawberry.field(description="When they expire.")


@strawberry.type(description="A member's points, derived from the ledger.")
class PointsSummary:
    member_id: strawberry.Private[int | None]
    known_expiries: strawberry.Private[list[PointsExpiry] | None]
    balance: int = strawberry.field(description="Points that can be spent now.")
    pending: int = strawberry.field(
        description="Earned but not yet available (inside the return window)."
    )
    lifetime_earned: int = strawberry.field(
        description="Every point ever earned, minus points taken back by refunds."
    )

    @classmethod
    def from_summary(cls, summary: ledger.PointsSummary) -> PointsSummary:
        return cls(
            member_id=None,
            known_expiries=[
                PointsExpiry(points=e.points, expires_at=e.expires_at)
                for e in summary.expiring_soon
            ],
            balance=summary.balance,
            pending=summary.pending,
            lifetime_earned=summary.lifetime_earned,
        )

    @classmethod
    def from_figures(cls, member_id: int, numbers: PointsFigures) -> PointsSummary:
        return cls(
            member_id=member_id,
            known_expiries=None,
            balance=numbers.balance,
            pending=numbers.pending,
            lifetime_earned=numbers.lifetime_earned,
        )

    @classmethod
    def from_parts(
        cls, member_id: int, numbers: PointsFigures, expiries: Sequence[ledger.PointsExpiry] | None
    ) -> PointsSummary:
        return cls(
            member_id=member_id,
            known_expiries=None
            if expiries is None
            else [PointsExpiry(points=e.points, expires_at=e.expires_at) for e in expiries],
            balance=numbers.balance,
            pending=numbers.pending,
            lifetime_earned=numbers.lifetime_earned,
        )

    @strawberry.field(description="The next expiries (within 30 days), soonest first.")
    async def expiring_soon(self, info: Info) -> list[PointsExpiry]:
        if self.known_expiries is not None:
            return self.known_expiries
        assert self.member_id is not None
        return await expiries_loader(info).load(self.member_id)


@strawberry.enum(description="What a ledger entry records.")
class PointsEntryKind(Enum):
    EARN = "EARN"
    BONUS = "BONUS"
    REFERRAL = "REFERRAL"
    ENGAGEMENT = "ENGAGEMENT"
    REDEEM = "REDEEM"
    REVERSAL = "REVERSAL"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"


@strawberry.type(description="One entry of the member's points ledger.")
class PointsEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    kind: PointsEntryKind = strawberry.field(description="What the entry records.")
    delta: int = strawberry.field(description="Positive for credits, negative for debits.")
    description: str = strawberry.field(description="What it was for, for people.")
    created_at: datetime = strawberry.field(description="When it was written.")
    available_at: datetime | None = strawberry.field(
        description="Credits: when the points become spendable (end of the return window)."
    )
    expires_at: datetime | None = strawberry.field(
        description="Credits: when unspent points expire; null: never."
    )
    recorded_by: strawberry.Private[str | None] = None

    @strawberry.field(
        description="Admin only (FORBIDDEN for other tokens): who wrote the entry by hand: the "
        "console account's email or the admin token's subject of a manual adjustment; null for "
        "the entries the program writes itself (purchases, rewards, expiry...)."
    )
    def actor(self, info: Info) -> str | None:
        info.context.require(Role.ADMIN)
        return self.recorded_by

    @classmethod
    def from_model(cls, entry: PointsEntryModel) -> PointsEntry:
        return cls(
            recorded_by=entry.actor,
            id=strawberry.ID(str(entry.id)),
            kind=PointsEntryKind(entry.kind.value),
            delta=entry.delta,
            description=entry.description,
            created_at=entry.created_at,
            available_at=entry.available_at,
            expires_at=entry.expires_at,
        )


@strawberry.type(description="A ledger entry and its place in the history.")
class PointsEntryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: PointsEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the points history, newest first.")
class PointsEntryConnection:
    edges: list[PointsEntryEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")


@strawberry.type(description="How members earn points.")
class EarningRules:
    points_per_currency_unit: float = strawberry.field(
        description="Points per one unit of the program's currency spent."
    )
    category_multipliers: list[CategoryMultiplier] = strawberry.field(
        description="Multipliers of item categories (1 for categories not listed)."
    )
    pending_days: int = strawberry.field(
        description="Days before earned points become spendable (the return window)."
    )
    expiry_days: int | None = strawberry.field(
        description="Days after which unspent points expire; null: never."
    )
    tier_window_months: int = strawberry.field(
        description="Months of earned points that count towards a tier."
    )
    referrer_points: int = strawberry.field(description="Points for a referrer.")
    referee_points: int = strawberry.field(description="Points for a referred friend.")
    share_points: int = strawberry.field(description="Points for a share.")
    review_points: int = strawberry.field(description="Points for a review.")
    survey_points: int = strawberry.field(description="Points for a survey answer.")
    engagement_daily_cap: int = strawberry.field(
        description="At most this many engagement awards of one kind a day."
    )
    channel_multipliers: list[ChannelMultiplier] = strawberry.field(
        default_factory=list,
        description="Multipliers of the channels purchases are made through (1 for channels "
        "not listed).",
    )

    @classmethod
    def from_model(cls, rules: EarningRulesModel) -> EarningRules:
        return cls(
            points_per_currency_unit=float(rules.points_per_currency_unit),
            category_multipliers=[
                CategoryMultiplier(category=k, multiplier=float(v))
                for k, v in (rules.category_multipliers or {}).items()
            ],
            pending_days=rules.pending_days,
            expiry_days=rules.expiry_days,
            tier_window_months=rules.tier_window_months,
            referrer_points=rules.referrer_points,
            referee_points=rules.referee_points,
            share_points=rules.share_points,
            review_points=rules.review_points,
            survey_points=rules.survey_points,
            engagement_daily_cap=rules.engagement_daily_cap,
            channel_multipliers=[
                ChannelMultiplier(channel=Channel(k), multiplier=float(v))
                for k, v in (rules.channel_multipliers or {}).items()
            ],
        )


@strawberry.type(description="A channel whose purchases earn more (or fewer) points.")
class ChannelMultiplier:
    channel: Channel = strawberry.field(description="APP, WEB or STORE.")
    multiplier: float = strawberry.field(description="0 earns nothing, 2 earns double.")


@strawberry.type(description="An item category that earns more (or fewer) points.")
class CategoryMultiplier:
    category: str = strawberry.field(description="The category, matched case-insensitively.")
    multiplier: float = strawberry.field(description="0 earns nothing, 2 earns double.")


def points_summary_loader(info: Info) -> DataLoader[int, PointsSummary]:
    """Balance, pending and lifetime of every member asked for in the request, in one query."""

    def factory() -> DataLoader[int, PointsSummary]:
        async def load(member_ids: list[int]) -> list[PointsSummary]:
            found = await figures(member_ids, info.context.now)
            return [PointsSummary.from_figures(m, found[m]) for m in member_ids]

        return DataLoader(load_fn=load)

    return info.context.loader("points_summary", factory)


def points_summaries_loader(info: Info) -> DataLoader[int, PointsSummary]:
    """Figures and next expiries of every member asked for in the request, in one query (for
    a `points` selection that shows its expiries)."""

    def factory() -> DataLoader[int, PointsSummary]:
        async def load(member_ids: list[int]) -> list[PointsSummary]:
            found = await summaries(member_ids, info.context.now)
            return [PointsSummary.from_summary(found[m]) for m in member_ids]

        return DataLoader(load_fn=load)

    return info.context.loader("points_summaries", factory)


def expiries_loader(info: Info) -> DataLoader[int, list[PointsExpiry]]:
    """The next expiries of every member asked for in the request, in one query."""

    def factory() -> DataLoader[int, list[PointsExpiry]]:
        async def load(member_ids: list[int]) -> list[list[PointsExpiry]]:
            found = await expiring_soon(member_ids, info.context.now)
            return [
                [PointsExpiry(points=e.points, expires_at=e.expires_at) for e in found[m]]
                for m in member_ids
            ]

        return DataLoader(load_fn=load)

    return info.context.loader("points_expiries", factory)


async def resolve_points_history(
    info: Info, member_id: int, first: int | None, after: str | None
) -> PointsEntryConnection:
    try:
        size = page_size(first, ["first"])
        before_id = decode_cursor(HISTORY_CURSOR, after, ["after"])
    except DomainError as error:
        raise to_client_error(error) from error
    page = await points_history(member_id, first=size, before_id=before_id)
    edges = [
        PointsEntryEdge(cursor=encode_cursor(HISTORY_CURSOR, e.id), node=PointsEntry.from_model(e))
        for e in page.entries
    ]
    return PointsEntryConnection(
        edges=edges,
        page_info=page_info_of(edges, page.has_next_page),
    )
