"""GraphQL types of members and their devices.

Areas add the fields they own to `Member` (points, tier, badges, notifications, ...), each
resolved through a per-request loader so that a list of members costs a constant number of
queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from api.auth import Role
from api.context import Info, later
from api.language import reader_language
from api.lookahead import asks_for, child_fields, per_document
from api.member_parts import EXPIRIES, FIGURES, QUALIFYING, member_parts
from api.types.achievements import (
    MemberBadge,
    MemberChallengeProgress,
    member_badges,
    member_challenge_progress_loader,
)
from api.types.member_history import (
    MemberChallengeCompletion,
    MemberDropClaim,
    member_challenge_completions,
    member_drop_claims,
)
from api.types.offers import RewardRecommendations, resolve_recommended_rewards
from api.types.points import (
    PointsEntryConnection,
    PointsSummary,
    points_summaries_loader,
    points_summary_loader,
)
from api.types.points import resolve_points_history as _points_history
from api.types.push import (
    NotificationConnection,
    NotificationPreferences,
    resolve_member_notification_preferences,
    resolve_member_notifications,
)
from api.types.rewards import CouponStatus, Redemption, member_redemptions
from api.types.tier import Tier, TierProgress, next_tier_loader, tier_of, tier_progress
from domain.members import models
from domain.members.services import devices_of
from domain.tiers.services import tier_held


@strawberry.enum(description="The platform of an app installation.")
class Platform(Enum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


@strawberry.type(description="An app installation of the member that can receive pushes.")
class Device:
    id: strawberry.ID = strawberry.field(description="The device's id.")
    platform: Platform = strawberry.field(description="iOS, Android or web.")
    app_version: str | None = strawberry.field(description="The app version that registered it.")
    created_at: datetime = strawberry.field(description="When it was first registered.")
    last_seen_at: datetime = strawberry.field(description="When it was last registered again.")

    @classmethod
    def from_model(cls, device: models.Device) -> Device:
        return cls(
            id=strawberry.ID(str(device.id)),
            platform=Platform(device.platform.value),
            app_version=device.app_version,
            created_at=device.created_at,
            last_seen_at=device.last_seen_at,
        )


def devices_loader() -> DataLoader[int, list[models.Device]]:
    async def load(member_ids: list[int]) -> list[list[models.Device]]:
        found = await devices_of(list(member_ids))
        return [found[m] for m in member_ids]

    return DataLoader(load_fn=load)


@dataclass(frozen=True, slots=True)
class KnownFields:
    """`me`'s `tier`, `nextTier` and `points` as worked out with its read of the member's
    parts (the home screen): the fields then answer without awaiting (an async field is a
    coroutine, and graphql-core gathers a member's several in tasks of their own). None (and
    `has_next_tier` False): not worked out, the field reads its own."""

    tier: Tier | None
    has_next_tier: bool
    next_tier: TierProgress | None
    points: PointsSummary | None


_KNOWN_FIELDS = frozenset({"tier", "nextTier", "points"})


async def work_out_known(info: Info, member: Member) -> None:
    """Set `member.known` (`me`'s, with `parts` read for it by `member_with_parts`): each of
    `tier`, `nextTier` and `points` that `me`'s selection asks for, as the field would
    answer it, from what the request has read already (the member and their parts, the
    versions read with them, the process's tier ladder as of those versions)."""
    children = per_document(
        info, "me_known_fields", lambda: frozenset(_KNOWN_FIELDS.intersection(child_fields(info)))
    )
    model = member.model
    tier = None
    if "tier" in children:
        ladder = await info.context.runtime.program.ladder(await info.context.versions())
        tier = Tier.from_model(tier_held(model, list(ladder)), await reader_language(info))
    has_next_tier, next_tier = False, None
    points = None
    if QUALIFYING in member.parts or FIGURES in member.parts:
        parts = await member_parts(info, model.id, member.parts)
        if QUALIFYING in member.parts and "nextTier" in children:
            assert parts.qualifying is not None
            has_next_tier = True
            next_tier = await tier_progress(info, model, parts.qualifying)
        if FIGURES in member.parts and "points" in children:
            # the parts hold the expiries whenever a `points` of the selection asks for them
            assert parts.figures is not None
            points = PointsSummary.from_parts(model.id, parts.figures, parts.expiries)
    member.known = KnownFields(tier, has_next_tier, next_tier, points)


@strawberry.type(description="A member of the loyalty program: a customer of the shop.")
class Member:
    model: strawberry.Private[models.Member]
    id: strawberry.ID = strawberry.field(description="Fidelio's id of the member.")
    customer_id: str = strawberry.field(description="The shop's id of the customer.")
    display_name: str = strawberry.field(description="The name shown to other members.")
    email: str | None = strawberry.field(description="Contact email, if given.")
    locale: str = strawberry.field(description="Language for texts, e.g. 'es' or 'en-GB'.")
    time_zone: str = strawberry.field(
        description="IANA time zone; days, streaks and quiet hours follow it."
    )
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    city: str | None = strawberry.field(description="City, for regional leaderboards.")
    birth_date: date | None = strawberry.field(description="Birth date, for birthday rewards.")
    referral_code: str = strawberry.field(description="The code friends apply to be referred.")
    joined_at: datetime = strawberry.field(description="When the member joined the program.")
    #: The per-member parts the selection asks for, read in one statement (api.member_parts;
    #: set by `me`, empty elsewhere: each field reads its own).
    parts: strawberry.Private[frozenset[str]] = frozenset()
    #: What `tier`, `nextTier` and `points` answer, worked out by `me` with its read of the
    #: member's parts (`work_out_known`); None: each field reads its own.
    known: strawberry.Private[KnownFields | None] = None

    @classmethod
    def from_model(cls, member: models.Member) -> Member:
        return cls(
            model=member,
            id=strawberry.ID(str(member.id)),
            customer_id=member.customer_id or "",
            display_name=member.display_name,
            email=member.email,
            locale=member.locale,
            time_zone=member.time_zone,
            country=member.country,
            city=member.city,
            birth_date=member.birth_date,
            referral_code=member.referral_code,
            joined_at=member.joined_at,
        )

    @strawberry.field(description="The badges the member holds, most recently earned first.")
    async def badges(self, info: Info) -> list[MemberBadge]:
        return await member_badges(info, self.model)

    @strawberry.field(description="The member's coupons, newest first.")
    async def redemptions(
        self,
        info: Info,
        status: Annotated[
            CouponStatus | None, strawberry.argument(description="Only coupons in this status.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
    ) -> list[Redemption]:
        return await member_redemptions(info, self.model.id, status, first)

    @strawberry.field(
        description="Admin (and analysts): the member's progress in every challenge active "
        "now, ending soonest first, in its current period for the member. A list of members "
        "costs one query for all of them."
    )
    async def challenge_progress(self, info: Info) -> list[MemberChallengeProgress]:
        info.context.require(Role.ADMIN)
        return await member_challenge_progress_loader(info).load(self.model)

    @strawberry.field(description="Admin: the challenges the member completed, most recent first.")
    async def challenge_completions(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
    ) -> list[MemberChallengeCompletion]:
        return await member_challenge_completions(info, self.model.id, first)

    @strawberry.field(
        description="Admin: the member's drop claims and raffle entries, newest first."
    )
    async def drop_claims(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="At most 100.")] = 20,
    ) -> list[MemberDropClaim]:
        return await member_drop_claims(info, self.model.id, first)

    notifications: NotificationConnection = strawberry.field(
        resolver=resolve_member_notifications,
        description="The member's in-app feed, newest first, with the unread count.",
    )
    notification_preferences: NotificationPreferences = strawberry.field(
        resolver=resolve_member_notification_preferences,
        description="What the member lets us push, and when.",
    )

    @strawberry.field(
        description="Rewards recommended to the member, best first, each with the reason: only "
        "rewards they may redeem now, with affordability shown. From scores the recommender "
        "stored when it was last trained (popularity in the member's tier and region for a "
        "cold start)."
    )
    async def recommended_rewards(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 20.")] = 5,
    ) -> RewardRecommendations:
        return await resolve_recommended_rewards(info, self.model, first)

    @strawberry.field(description="The member's registered devices.")
    async def devices(self, info: Info) -> list[Device]:
        loader = info.context.loader("devices", devices_loader)
        return [Device.from_model(d) for d in await loader.load(self.model.id)]

    @strawberry.field(description="The tier the member holds now.")
    def tier(self, info: Info) -> Tier:
        if self.known is not None and self.known.tier is not None:
            return self.known.tier
        return later(tier_of(info, self.model))

    @strawberry.field(description="The next tier and the points missing for it; null at the top.")
    def next_tier(self, info: Info) -> TierProgress | None:
        if self.known is not None and self.known.has_next_tier:
            return self.known.next_tier
        return later(self._next_tier(info))

    async def _next_tier(self, info: Info) -> TierProgress | None:
        if QUALIFYING in self.parts:
            parts = await member_parts(info, self.model.id, self.parts)
            assert parts.qualifying is not None
            return await tier_progress(info, self.model, parts.qualifying)
        return await next_tier_loader(info).load(self.model)

    @strawberry.field(description="The member's points: balance, pending, lifetime, expiries.")
    def points(self, info: Info) -> PointsSummary:
        if self.known is not None and self.known.points is not None:
            return self.known.points
        return later(self._points(info))

    async def _points(self, info: Info) -> PointsSummary:
        if FIGURES in self.parts and (EXPIRIES in self.parts or not asks_for(info, "expiringSoon")):
            parts = await member_parts(info, self.model.id, self.parts)
            assert parts.figures is not None
            return PointsSummary.from_parts(self.model.id, parts.figures, parts.expiries)
        if asks_for(info, "expiringSoon"):  # figures and expiries in one statement
            return await points_summaries_loader(info).load(self.model.id)
        return await points_summary_loader(info).load(self.model.id)

    @strawberry.field(description="The member's ledger entries, newest first (at most 100 a page).")
    async def points_history(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> PointsEntryConnection:
        return await _points_history(info, self.model.id, first, after)
