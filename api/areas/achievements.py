"""GraphQL of badges and challenges: the catalogue for members, its administration for admins.

Resolvers parse input, call one use case or read model of `gamification.achievements`, and map
the result and the domain errors (via `user_errors`) to the payload.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.auth import Role
from api.context import VERSIONS, Info
from api.lookahead import asks_for
from api.types.achievements import (
    Badge,
    Challenge,
    ChallengeStatus,
    Recurrence,
    RewardBadges,
    RuleInput,
    badges_of,
    challenges_of,
    member_count,
    reward_badges,
    shelf_views,
    viewer,
    viewer_with_challenge_progress,
    viewer_with_own_badges,
)
from api.types.common import UserError, user_errors
from api.types.translations import TranslationInput, drafts
from domain.errors import DomainError
from gamification.achievements import queries, services
from gamification.achievements.backfill import count_qualifying, history_loader
from gamification.rules import Recurrence as RecurrenceValue
from gamification.rules import Rule as RuleValue
from gamification.rules import describe, validate_rule


@strawberry.input(description="A badge to create, or to replace by its code.")
class BadgeInput:
    code: str = strawberry.field(
        description="Identifies the badge: 1-64 letters, digits, '_', '-', '.'."
    )
    name: str = strawberry.field(description="1-120 characters.")
    description: str = strawberry.field(description="Up to 500 characters.")
    icon_url: str | None = strawberry.field(default=None, description="An http(s) URL.")
    secret: bool | None = strawberry.field(
        default=False, description="Hidden from members until they earn it."
    )
    rule: RuleInput = strawberry.field(
        description="What earns it. Changing it later restarts everyone's progress and takes "
        "no badge away."
    )
    reward_points: int | None = strawberry.field(
        default=0, description="Bonus points credited when it is earned (0 to 1,000,000)."
    )
    translations: list[TranslationInput] | None = strawberry.field(
        default=None,
        description="Its name and description per locale, served to members in theirs. Null "
        "keeps those entered before; [] removes them all.",
    )


@strawberry.type(description="The result of upsertBadge.")
class BadgePayload:
    badge: Badge | None = strawberry.field(description="The badge as saved; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="A challenge to create, or to replace by its code.")
class ChallengeInput:
    code: str = strawberry.field(
        description="Identifies the challenge: 1-64 letters, digits, '_', '-', '.'."
    )
    title: str = strawberry.field(description="1-120 characters.")
    description: str = strawberry.field(description="Up to 500 characters.")
    starts_at: datetime = strawberry.field(description="When it starts counting.")
    ends_at: datetime = strawberry.field(description="When it stops; after startsAt.")
    recurrence: Recurrence | None = strawberry.field(
        default=Recurrence.NONE,
        description="DAILY, WEEKLY, MONTHLY: progress restarts each period (in the member's "
        "time zone) and the challenge can be completed once per period.",
    )
    goal: RuleInput = strawberry.field(description="What completes it within one period.")
    reward_points: int | None = strawberry.field(
        default=0, description="Bonus points credited on each completion (0 to 1,000,000)."
    )
    reward_badge_code: str | None = strawberry.field(
        default=None, description="A badge awarded on completion."
    )
    segment_code: str | None = strawberry.field(
        default=None, description="Only members of this segment see and progress in it."
    )
    translations: list[TranslationInput] | None = strawberry.field(
        default=None,
        description="Its title (as name) and description per locale, served to members in "
        "theirs. Null keeps those entered before; [] removes them all.",
    )


@strawberry.type(description="The result of upsertChallenge.")
class ChallengePayload:
    challenge: Challenge | None = strawberry.field(
        description="The challenge as saved; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.type(description="The result of previewRule.")
class RulePreviewPayload:
    #: The rule to count, when it can be counted; None on errors.
    countable: strawberry.Private[RuleValue | None]
    now: strawberry.Private[datetime]
    words: str | None = strawberry.field(
        description="The rule as members read it in the locale asked for; null on errors."
    )

    @strawberry.field(
        description="How many members' recorded history meets the rule now (those a back-fill "
        "of a badge with this rule would award, holders included); null on errors or for an "
        "event kind that keeps no history (REFERRAL, STORE_VISIT, REDEMPTION, DROP_CLAIM). "
        "Counted only when asked for: ask for `words` alone to skip the replay."
    )
    async def members(self) -> int | None:
        if self.countable is None:
            return None
        return await count_qualifying(self.countable, self.now)

    user_errors: list[UserError] = strawberry.field(
        description="The rule's problems, on the paths upsertBadge reports them under "
        '["rule", ...]; a kind without history is INVALID_INPUT on ["rule", "event"].'
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Every badge, oldest first. Secret badges show as 'Secret badge' until "
        "the signed-in member earns them (admins see them all)."
    )
    async def badges(self, info: Info) -> list[Badge]:
        seen_by, mine = await viewer_with_own_badges(info)
        return badges_of(await shelf_views(info, seen_by, mine))

    @strawberry.field(
        description="Challenges by status (ACTIVE by default; null for all), by start. "
        "Members see those of their segments only."
    )
    async def challenges(
        self, info: Info, status: ChallengeStatus | None = ChallengeStatus.ACTIVE
    ) -> list[Challenge]:
        rewards = asks_for(info, "rewardBadge")  # a reward badge's name shows once earned
        wanted = queries.ChallengeStatus(status.value) if status is not None else None
        context = info.context
        now = context.now
        challenges = context.runtime.challenges
        # The list before the member: a member's progress is read with them and with the
        # versions (one statement). Unless the versions were read already, the challenges
        # as last kept say which progress to read: a guess, checked against the versions
        # (`challenge_views` reads apart any period the read does not hold).
        kept = None if context.started(VERSIONS) else challenges.kept()
        listed = kept if kept is not None else await challenges.all(await context.versions())
        seen_by, progress = await viewer_with_challenge_progress(
            info, queries.challenges_in(wanted, listed, now), badges=rewards
        )
        shelf = await challenges.all(await context.versions())
        found = await queries.list_challenges(wanted, seen_by, now, shelf=shelf, progress=progress)
        if rewards:
            mine = (await viewer_with_own_badges(info))[1]  # read with the member above
            badges = await reward_badges(info, found, seen_by, mine)
        else:
            badges = RewardBadges(info)
        locale, language = seen_by.locale, seen_by.language  # each a computed property
        return [
            Challenge(view=view, locale=locale, language=language, rewards=badges) for view in found
        ]

    @strawberry.field(
        description="Admin: a rule being edited, in words as a member reads it and with how "
        "many members qualify today, saving nothing (the whole history is replayed in "
        "batches of members: seconds on a large program)."
    )
    async def preview_rule(
        self, info: Info, rule: RuleInput, locale: str = "en"
    ) -> RulePreviewPayload:
        info.context.require(Role.ADMIN)
        value = rule.to_rule()
        now = info.context.now
        try:
            validate_rule(value, ["rule"])
        except DomainError as error:
            return RulePreviewPayload(
                countable=None, now=now, words=None, user_errors=user_errors(error)
            )
        words = describe(value, locale)
        try:
            history_loader(value, ["rule", "event"])
        except DomainError as error:
            return RulePreviewPayload(
                countable=None, now=now, words=words, user_errors=user_errors(error)
            )
        return RulePreviewPayload(countable=value, now=now, words=words, user_errors=[])


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admin: create a badge or replace it by its code.")
    async def upsert_badge(self, info: Info, input: BadgeInput) -> BadgePayload:
        actor = info.context.admin()
        try:
            draft = services.BadgeDraft(
                code=input.code,
                name=input.name,
                description=input.description,
                rule=input.rule.to_rule(),
                icon_url=input.icon_url,
                secret=bool(input.secret),
                reward_points=input.reward_points or 0,
                translations=drafts(input.translations),
            )
            saved = await services.upsert_badge(draft, info.context.now, actor)
        except DomainError as error:
            return BadgePayload(badge=None, user_errors=user_errors(error))
        (view,) = await queries.badge_views(
            [saved], await viewer(info), info.context.now, members=await member_count(info)
        )
        return BadgePayload(badge=Badge(view=view), user_errors=[])

    @strawberry.mutation(description="Admin: create a challenge or replace it by its code.")
    async def upsert_challenge(self, info: Info, input: ChallengeInput) -> ChallengePayload:
        actor = info.context.admin()
        recurrence = input.recurrence or Recurrence.NONE
        try:
            draft = services.ChallengeDraft(
                code=input.code,
                title=input.title,
                description=input.description,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                goal=input.goal.to_rule(),
                recurrence=RecurrenceValue(recurrence.value),
                reward_points=input.reward_points or 0,
                reward_badge_code=input.reward_badge_code,
                segment_code=input.segment_code,
                translations=drafts(input.translations),
            )
            saved = await services.upsert_challenge(draft, info.context.now, actor)
        except DomainError as error:
            return ChallengePayload(challenge=None, user_errors=user_errors(error))
        (challenge,) = await challenges_of(info, [saved])
        return ChallengePayload(challenge=challenge, user_errors=[])
