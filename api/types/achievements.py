"""GraphQL types of badges and challenges, as far as `Awards` needs them.

Built from the domain's achievement models and the rules core's descriptions. The achievements
area extends these types (it owns `myProgress` and the queries); `myProgress` resolves to null
until its read models are wired here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from api.context import Info
from domain.achievements import models as achievement_models
from domain.members.models import Member as MemberModel
from gamification.rules.describe import describe
from gamification.rules.rule import Rule as RuleCore


@strawberry.enum(description="What a member did.")
class EventKind(Enum):
    PURCHASE = "PURCHASE"
    REFERRAL = "REFERRAL"
    SHARE = "SHARE"
    REVIEW = "REVIEW"
    SURVEY = "SURVEY"
    STORE_VISIT = "STORE_VISIT"
    REDEMPTION = "REDEMPTION"
    DROP_CLAIM = "DROP_CLAIM"


@strawberry.enum(description="How a rule folds the matching events into one number.")
class Aggregate(Enum):
    COUNT = "COUNT"
    SUM_AMOUNT = "SUM_AMOUNT"
    SUM_POINTS = "SUM_POINTS"
    DISTINCT_DAYS = "DISTINCT_DAYS"
    DISTINCT_CATEGORIES = "DISTINCT_CATEGORIES"
    STREAK_DAYS = "STREAK_DAYS"
    STREAK_WEEKS = "STREAK_WEEKS"


@strawberry.enum(description="How often a challenge's progress starts again from zero.")
class Recurrence(Enum):
    NONE = "NONE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


@strawberry.type(description="A condition over a member's events.")
class Rule:
    event: EventKind = strawberry.field(description="The kind of event that counts.")
    aggregate: Aggregate = strawberry.field(description="How matching events are folded.")
    target: float = strawberry.field(description="The number to reach.")
    window_days: int | None = strawberry.field(
        description="Only events of the last N days count; null: all time or the period."
    )
    description: str = strawberry.field(description="The rule in words, in the member's locale.")

    @classmethod
    def from_json(cls, data: dict[str, Any], locale: str) -> Rule:
        rule = RuleCore.from_json(data)
        return cls(
            event=EventKind(rule.event.value),
            aggregate=Aggregate(rule.aggregate.value),
            target=rule.target,
            window_days=rule.window_days,
            description=describe(rule, locale),
        )


@strawberry.type(description="How far a member has come towards a goal.")
class Progress:
    current: float = strawberry.field(description="Where the member is.")
    target: float = strawberry.field(description="Where the goal is.")
    completed_at: datetime | None = strawberry.field(description="When it was reached.")


@strawberry.type(description="An achievement members earn by meeting its rule.")
class Badge:
    model: strawberry.Private[achievement_models.Badge]
    locale: strawberry.Private[str]
    id: strawberry.ID = strawberry.field(description="The badge's id.")
    code: str = strawberry.field(description="The badge's unique code.")
    name: str = strawberry.field(description="The badge's name.")
    description: str = strawberry.field(description="Secret badges show only once earned.")
    icon_url: str | None = strawberry.field(description="The badge's image.")
    secret: bool = strawberry.field(description="Whether it shows only once earned.")
    reward_points: int = strawberry.field(description="Bonus points for earning it.")

    @classmethod
    def from_model(cls, badge: achievement_models.Badge, locale: str = "en") -> Badge:
        return cls(
            model=badge,
            locale=locale,
            id=strawberry.ID(str(badge.id)),
            code=badge.code,
            name=badge.name,
            description=badge.description,
            icon_url=badge.icon_url,
            secret=badge.secret,
            reward_points=badge.reward_points,
        )

    @strawberry.field(description="What earns the badge.")
    def rule(self) -> Rule:
        return Rule.from_json(self.model.rule, self.locale)

    @strawberry.field(description="Share of members holding it, from 0 to 1.")
    async def rarity(self, info: Info) -> float:
        members = await member_count_loader(info).load("members")
        return min(1.0, self.model.holders_count / members) if members else 0.0

    @strawberry.field(description="For the signed-in member; null for other callers.")
    def my_progress(self) -> Progress | None:
        return None


@strawberry.type(description="A badge a member earned.")
class MemberBadge:
    badge: Badge = strawberry.field(description="The badge.")
    earned_at: datetime = strawberry.field(description="When the member earned it.")


@strawberry.type(description="A time-boxed goal.")
class Challenge:
    model: strawberry.Private[Any]
    locale: strawberry.Private[str]
    id: strawberry.ID = strawberry.field(description="The challenge's id.")
    code: str = strawberry.field(description="The challenge's unique code.")
    title: str = strawberry.field(description="The challenge's title.")
    description: str = strawberry.field(description="What it is about.")
    starts_at: datetime = strawberry.field(description="When it opens.")
    ends_at: datetime = strawberry.field(description="When it closes.")
    recurrence: Recurrence = strawberry.field(description="How often progress starts again.")
    reward_points: int = strawberry.field(description="Bonus points for completing it.")

    @classmethod
    def from_model(cls, challenge: Any, locale: str = "en") -> Challenge:
        return cls(
            model=challenge,
            locale=locale,
            id=strawberry.ID(str(challenge.id)),
            code=challenge.code,
            title=challenge.title,
            description=challenge.description,
            starts_at=challenge.starts_at,
            ends_at=challenge.ends_at,
            recurrence=Recurrence(str(challenge.recurrence)),
            reward_points=challenge.reward_points,
        )

    @strawberry.field(description="What completes the challenge.")
    def goal(self) -> Rule:
        return Rule.from_json(self.model.goal, self.locale)

    @strawberry.field(description="The badge completing it gives, if any.")
    async def reward_badge(self) -> Badge | None:
        if getattr(self.model, "reward_badge_id", None) is None:
            return None
        badge = await achievement_models.Badge.get_or_none(id=self.model.reward_badge_id)
        return Badge.from_model(badge, self.locale) if badge else None

    @strawberry.field(
        description="For the signed-in member, in the current period; null for others."
    )
    def my_progress(self) -> Progress | None:
        return None


def member_count_loader(info: Info) -> DataLoader[str, int]:
    def factory() -> DataLoader[str, int]:
        async def load(keys: list[str]) -> list[int]:
            count = await MemberModel.filter(erased_at__isnull=True).count()
            return [count for _ in keys]

        return DataLoader(load_fn=load)

    return info.context.loader("member_count", factory)


async def member_badges(member_id: int, badge_ids: Sequence[int], locale: str) -> list[MemberBadge]:
    """The member's badges among `badge_ids` (in that order), with their badges, one query."""
    if not badge_ids:
        return []
    rows = await achievement_models.MemberBadge.filter(
        member_id=member_id, badge_id__in=list(badge_ids)
    ).prefetch_related("badge")
    by_badge = {row.badge_id: row for row in rows}
    return [
        MemberBadge(
            badge=Badge.from_model(by_badge[b].badge, locale), earned_at=by_badge[b].earned_at
        )
        for b in badge_ids
        if b in by_badge
    ]


async def challenges(challenge_ids: Sequence[int], locale: str) -> list[Challenge]:
    """Challenges by id, in that order. Empty while the achievements area has no Challenge
    model (it lands with the rules engine)."""
    model = getattr(achievement_models, "Challenge", None)
    if model is None or not challenge_ids:
        return []
    found = {c.id: c for c in await model.filter(id__in=list(challenge_ids))}
    return [Challenge.from_model(found[c], locale) for c in challenge_ids if c in found]
