"""GraphQL types of badges, challenges and their rules.

Every list is resolved in batches: a page of badges or challenges, with the viewer's progress,
rarity and reward badges, costs a constant number of queries. What a viewer may see (secret
badges, progress) is decided in `gamification.achievements.queries`; these types only map.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from api.auth import Role
from api.context import Info, later
from api.fragments import cached_object
from api.types.common import Channel
from api.types.translations import Translation, translations_of
from domain.achievements.models import Badge as BadgeModel
from domain.achievements.models import Challenge as ChallengeModel
from domain.members.models import Member as MemberModel
from domain.translations import Language
from gamification.achievements import queries
from gamification.rules import Aggregate as RuleAggregate
from gamification.rules import Channel as RuleChannel
from gamification.rules import EventKind as RuleEvent
from gamification.rules import Rule as RuleValue
from gamification.rules import describe


@strawberry.enum(description="What a member did, as rules count it.")
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


@strawberry.enum(description="How often a challenge starts again from zero.")
class Recurrence(Enum):
    NONE = "NONE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


@strawberry.enum(description="Where a challenge stands in time.")
class ChallengeStatus(Enum):
    UPCOMING = "UPCOMING"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


@strawberry.input(
    description="A condition over a member's events: e.g. 3 PURCHASE COUNT with category "
    "shoes in 30 days."
)
class RuleInput:
    event: EventKind = strawberry.field(description="The kind of event counted.")
    aggregate: Aggregate = strawberry.field(description="How the matching events are folded.")
    target: float = strawberry.field(
        description="The value to reach; greater than 0, whole except for SUM_AMOUNT."
    )
    window_days: int | None = strawberry.field(
        default=None,
        description="Only events in the last N days count. Omitted: all time for badges, "
        "the challenge's period for challenges.",
    )
    category: str | None = strawberry.field(
        default=None, description="Purchases with an item of this category only."
    )
    channel: Channel | None = strawberry.field(
        default=None, description="Purchases through this channel only."
    )
    store_code: str | None = strawberry.field(
        default=None, description="Purchases or visits at this store only."
    )
    min_amount: Decimal | None = strawberry.field(
        default=None, description="Purchases of at least this amount only."
    )

    def to_rule(self) -> RuleValue:
        return RuleValue(
            event=RuleEvent(self.event.value),
            aggregate=RuleAggregate(self.aggregate.value),
            target=self.target,
            window_days=self.window_days,
            category=self.category,
            channel=RuleChannel(self.channel.value) if self.channel is not None else None,
            store_code=self.store_code,
            min_amount=self.min_amount,
        )


@strawberry.type(description="A badge's or challenge's condition, with its statement in words.")
class Rule:
    value: strawberry.Private[RuleValue]
    #: Set for a secret badge the viewer has not earned: the statement is hidden too.
    hidden_text: strawberry.Private[str | None]
    locale: strawberry.Private[str]

    @strawberry.field(description="The kind of event counted.")
    def event(self) -> EventKind:
        return EventKind(self.value.event.value)

    @strawberry.field(description="How the matching events are folded.")
    def aggregate(self) -> Aggregate:
        return Aggregate(self.value.aggregate.value)

    @strawberry.field(description="The value to reach.")
    def target(self) -> float:
        return self.value.target

    @strawberry.field(description="Only events in the last N days count; null: no window.")
    def window_days(self) -> int | None:
        return self.value.window_days

    @strawberry.field(
        description="Purchases with an item of this category only; null: any (and for a "
        "secret badge not yet earned)."
    )
    def category(self) -> str | None:
        return None if self.hidden_text is not None else self.value.category

    @strawberry.field(
        description="Purchases through this channel only; null: any (and for a secret badge "
        "not yet earned)."
    )
    def channel(self) -> Channel | None:
        if self.hidden_text is not None or self.value.channel is None:
            return None
        return Channel(self.value.channel.value)

    @strawberry.field(
        description="Purchases or visits at this store only; null: any (and for a secret "
        "badge not yet earned)."
    )
    def store_code(self) -> str | None:
        return None if self.hidden_text is not None else self.value.store_code

    @strawberry.field(
        description="Purchases of at least this amount only; null: any (and for a secret "
        "badge not yet earned)."
    )
    def min_amount(self) -> Decimal | None:
        return None if self.hidden_text is not None else self.value.min_amount

    @strawberry.field(
        description="The rule in words, in the member's locale (Spanish or English); for a "
        "secret badge not yet earned, a hint that it is secret."
    )
    def description(self) -> str:
        if self.hidden_text is not None:
            return self.hidden_text
        return describe(self.value, self.locale)


@strawberry.type(description="How far the signed-in member is towards a badge or challenge.")
class Progress:
    current: float = strawberry.field(description="The value reached so far (as of now).")
    target: float = strawberry.field(description="The value to reach.")
    completed_at: datetime | None = strawberry.field(
        description="When it was reached (earned, or completed in this period); null before."
    )

    @classmethod
    def of(cls, progress: queries.ProgressView | None) -> Progress | None:
        if progress is None:
            return None
        return cls(
            current=progress.current, target=progress.target, completed_at=progress.completed_at
        )


def _badge_key(badge: Badge, _: object) -> tuple[object, ...]:
    """What a badge's shared fields show: its row's values (worked out once per row of the
    process's shelf: `BadgeShelf.prepare`), whether it is hidden from the viewer, the
    viewer's locale and language (its name and description are read from its texts and
    translations in that language, or are the secret texts of that locale; its rule in
    words) and the rarity read for the request. The texts' inputs, not the texts: working
    the texts out for each badge of a list cost more than the rest of a hit."""
    view = badge.view
    language = view.language
    return (
        view.values, view.hidden, view.locale, language.locale, language.default_locale,
        view.rarity,
    )  # fmt: skip


def _challenge_key(challenge: Challenge, _: object) -> tuple[object, ...]:
    """What a challenge's shared fields show: its row's values (its title and description
    are read from its texts and translations in the viewer's language), its status now and
    the viewer's locale (its goal in words) and language."""
    view, row = challenge.view, challenge.view.challenge
    return (
        row.id, row.code, row.title, row.description, repr(row.translations), row.starts_at,
        row.ends_at, row.recurrence, repr(row.goal), row.reward_points, view.status,
        challenge.locale, challenge.language,
    )  # fmt: skip


@cached_object(_badge_key, private=frozenset({"myProgress", "translations"}))
@strawberry.type(description="An achievement members earn by meeting its rule.")
class Badge:
    view: strawberry.Private[queries.BadgeView]

    @strawberry.field(description="The badge's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.badge.id))

    @strawberry.field(description="The admin's code of the badge.")
    def code(self) -> str:
        return self.view.badge.code

    @strawberry.field(
        description="Its name; for a secret badge the viewer has not earned, 'Secret badge' "
        "in their language."
    )
    def name(self) -> str:
        return self.view.name

    @strawberry.field(
        description="Secret badges show only once earned: until then a hint replaces this."
    )
    def description(self) -> str:
        return self.view.description

    @strawberry.field(
        description="Every name and description entered per locale (for the console); empty "
        "for a secret badge the viewer has not earned. Members read name and description in "
        "their locale, then its language, then the program's default locale, then the base "
        "texts."
    )
    def translations(self) -> list[Translation]:
        return [] if self.view.hidden else translations_of(self.view.badge.translations)

    @strawberry.field(description="Its picture; null for a secret badge not yet earned.")
    def icon_url(self) -> str | None:
        return self.view.icon_url

    @strawberry.field(description="Whether it is hidden from members until they earn it.")
    def secret(self) -> bool:
        return self.view.badge.secret

    @strawberry.field(description="What earns it.")
    def rule(self) -> Rule:
        hidden = self.view.description if self.view.hidden else None
        return Rule(value=self.view.rule, hidden_text=hidden, locale=self.view.locale)

    @strawberry.field(description="Bonus points credited when it is earned.")
    def reward_points(self) -> int:
        return self.view.badge.reward_points

    @strawberry.field(description="Share of members holding it, from 0 to 1.")
    def rarity(self) -> float:
        return self.view.rarity

    @strawberry.field(
        description="For the signed-in member; null for other callers (and for a secret "
        "badge not yet earned)."
    )
    def my_progress(self) -> Progress | None:
        return Progress.of(self.view.progress)


@strawberry.type(description="A badge a member holds.")
class MemberBadge:
    badge: Badge = strawberry.field(description="The badge.")
    earned_at: datetime = strawberry.field(description="When the member earned it.")


class RewardBadges:
    """The badges challenges award, as the request's viewer sees them: from the views a
    challenges list worked out with its own read (`known`: every reward badge of the list,
    by id, None for one no longer on the shelf), else through the request's loader."""

    def __init__(
        self, info: Info, known: Mapping[int, queries.BadgeView | None] | None = None
    ) -> None:
        self.info = info
        self.known = known

    def badge(self, badge_id: int) -> Badge | Awaitable[Badge | None] | None:
        if self.known is not None and badge_id in self.known:
            view = self.known[badge_id]
            return Badge(view=view) if view is not None else None
        return self._load(badge_id)

    async def _load(self, badge_id: int) -> Badge | None:
        view = await badge_views_loader(self.info).load(badge_id)
        return Badge(view=view) if view is not None else None


async def reward_badges(
    info: Info,
    challenges: Sequence[queries.ChallengeView],
    seen_by: queries.Viewer,
    mine: queries.BadgeShelfOfMember | None,
) -> RewardBadges:
    """The reward badges of `challenges` worked out at once, as `badge_views_loader` would
    (the shelf, the request's figures, the viewer's badges `mine`), so that `rewardBadge`
    completes as a plain field rather than one awaited loader call per challenge."""
    wanted = {
        v.challenge.reward_badge_id for v in challenges if v.challenge.reward_badge_id is not None
    }
    if not wanted:
        return RewardBadges(info, {})
    try:
        badges = [badge for badge in await badge_shelf(info) if badge.id in wanted]
        views = await badge_views(info, badges, seen_by, mine)
    except Exception:
        # a failed read is each rewardBadge's error, as with the loader: let them meet it
        return RewardBadges(info)
    by_id = {view.badge.id: view for view in views}
    return RewardBadges(info, {badge_id: by_id.get(badge_id) for badge_id in wanted})


@cached_object(_challenge_key, private=frozenset({"myProgress", "rewardBadge", "translations"}))
@strawberry.type(description="A time-boxed goal, once or every day, week or month.")
class Challenge:
    view: strawberry.Private[queries.ChallengeView]
    locale: strawberry.Private[str]
    #: The language its title and description are read in (domain.translations).
    language: strawberry.Private[Language]
    #: Where its reward badge comes from (see `RewardBadges`).
    rewards: strawberry.Private[RewardBadges]

    @strawberry.field(description="The challenge's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.challenge.id))

    @strawberry.field(description="The admin's code of the challenge.")
    def code(self) -> str:
        return self.view.challenge.code

    @strawberry.field(description="Its title.")
    def title(self) -> str:
        return self.text("name")

    @strawberry.field(description="What it is about.")
    def description(self) -> str:
        return self.text("description")

    def text(self, key: str) -> str:
        """Its "name" (title) or "description" in the reader's language."""
        row = self.view.challenge
        base = row.title if key == "name" else row.description
        return self.language.text(row.translations, key, base)

    @strawberry.field(
        description="Every title (as name) and description entered per locale (for the "
        "console). Members read title and description in their locale, then its language, "
        "then the program's default locale, then the base texts."
    )
    def translations(self) -> list[Translation]:
        return translations_of(self.view.challenge.translations)

    @strawberry.field(description="When it starts counting.")
    def starts_at(self) -> datetime:
        return self.view.challenge.starts_at

    @strawberry.field(description="When it stops counting (exclusive).")
    def ends_at(self) -> datetime:
        return self.view.challenge.ends_at

    @strawberry.field(
        description="How often progress starts again from zero, in the member's time zone."
    )
    def recurrence(self) -> Recurrence:
        return Recurrence(self.view.challenge.recurrence)

    @strawberry.field(description="What completes it, within one period.")
    def goal(self) -> Rule:
        return Rule(value=self.view.rule, hidden_text=None, locale=self.locale)

    @strawberry.field(description="Bonus points credited on each completion.")
    def reward_points(self) -> int:
        return self.view.challenge.reward_points

    @strawberry.field(
        description="A badge awarded on completion, if any.", graphql_type=Badge | None
    )
    def reward_badge(self) -> Badge | Awaitable[Badge | None] | None:
        # a plain field (api.executor) when the list worked its reward badges out
        badge_id = self.view.challenge.reward_badge_id
        if badge_id is None:
            return None
        return self.rewards.badge(badge_id)

    @strawberry.field(
        description="For the signed-in member, in the current period; null for other callers."
    )
    def my_progress(self) -> Progress | None:
        return Progress.of(self.view.progress)


async def viewer(info: Info) -> queries.Viewer:
    """Who reads, for what they may see: the signed-in member, an admin, or a service."""
    principal = info.context.require()
    member = await info.context.member_or_none()
    return queries.Viewer(
        member=member,
        is_admin=principal.role == Role.ADMIN,
        default_locale=info.context.runtime.settings.program_locale,
    )


#: How old the figures behind rarity may be: they are statistics over every member, counted
#: at most once a second per process however many requests show them (like a board's page).
RARITY_MAX_AGE = 1.0


async def badge_figures(info: Info) -> queries.BadgeFigures:
    """Holder counts and the member count (the base of rarity): once per request, from the
    process's shared reading, at most `RARITY_MAX_AGE` seconds old."""
    rarity = info.context.runtime.rarity
    return await info.context.once("achievements.figures", lambda: rarity.read(RARITY_MAX_AGE))


async def badge_views(
    info: Info,
    badges: Sequence[BadgeModel],
    seen_by: queries.Viewer,
    mine: queries.BadgeShelfOfMember | None,
    *,
    reveal_secrets: bool = False,
) -> list[queries.BadgeView]:
    """`queries.badge_views` for the request: rarity from the request's figures, the rows of
    the process's shelf prepared once (`BadgeShelf.prepare`)."""
    return await queries.badge_views(
        badges,
        seen_by,
        info.context.now,
        figures=await badge_figures(info),
        mine=mine,
        reveal_secrets=reveal_secrets,
        prepare=info.context.runtime.badges.prepare,
    )


async def badge_shelf(info: Info) -> tuple[BadgeModel, ...]:
    """Every badge, from the process's shelf (checked against the versions)."""
    runtime = info.context.runtime
    return await runtime.badges.all(await info.context.versions())


_OWN_BADGES = "achievements.mine"


async def own_badges(info: Info, member_id: int) -> queries.BadgeShelfOfMember:
    """The signed-in member's badges and badge progress, read once per request."""
    return await info.context.once(_OWN_BADGES, lambda: queries.badges_of_member(member_id))


async def viewer_with_own_badges(
    info: Info,
) -> tuple[queries.Viewer, queries.BadgeShelfOfMember | None]:
    """`viewer`, and for a member their badges and badge progress (`own_badges`), read with
    the member in one statement when the request has not read the member yet; that statement
    reads the configuration's versions too, which the badges' shelf needs next (the Badges
    screen in one statement)."""
    context = info.context
    principal = context.require()
    if principal.role != Role.MEMBER:
        return await viewer(info), None

    async def read(customer_id: str) -> tuple[MemberModel, queries.BadgeShelfOfMember] | None:
        found = await queries.member_and_badges(customer_id)
        if found is None:
            return None
        member, mine, versions = found
        context.settle_versions(versions)  # the badges' shelf is checked against them next
        return member, mine

    async def alone(member: MemberModel) -> queries.BadgeShelfOfMember:
        return await queries.badges_of_member(member.id)

    member, mine = await context.member_with(_OWN_BADGES, read, alone)
    seen_by = queries.Viewer(
        member=member, is_admin=False, default_locale=context.runtime.settings.program_locale
    )
    return seen_by, mine


async def viewer_with_challenge_progress(
    info: Info, challenges: Sequence[ChallengeModel], *, badges: bool
) -> tuple[queries.Viewer, queries.ChallengeProgressRead | None]:
    """`viewer` (with their badges, `own_badges`, if `badges`), and for a member their
    progress in `challenges`, read with the member in one statement when the request has not
    read the member yet. The member's zone, which says the period each recurring challenge
    counts, is known only from their row: the progress of every period a zone may count is
    read (`progress_keys_in_any_zone`, at most three a challenge), and `challenge_views`
    keeps the member's. None for the progress when it was not read with the member (other
    callers, the member read already, no challenge, a member not there yet)."""
    context = info.context
    principal = context.require()
    keys = queries.progress_keys_in_any_zone(challenges, context.now)
    if principal.role != Role.MEMBER or not keys:
        seen_by = (await viewer_with_own_badges(info))[0] if badges else await viewer(info)
        return seen_by, None

    async def read(customer_id: str) -> tuple[MemberModel, queries.ChallengeProgressRead] | None:
        found = await queries.member_with_challenge_progress(customer_id, keys, badges=badges)
        if found is None:
            return None
        member, mine, progress, versions = found
        if mine is not None:
            context.settle(_OWN_BADGES, mine)
        context.settle_versions(versions)  # the challenges' shelf is checked against them
        return member, progress

    async def alone(member: MemberModel) -> queries.ChallengeProgressRead | None:
        return None  # `challenge_views` reads the member's periods

    # one name whatever the challenges: `challenge_views` uses a read only if it holds the
    # periods it needs
    member, progress = await context.member_with(_CHALLENGE_PROGRESS, read, alone)
    seen_by = queries.Viewer(
        member=member, is_admin=False, default_locale=context.runtime.settings.program_locale
    )
    return seen_by, progress


_CHALLENGE_PROGRESS = "achievements.challenge_progress"


async def member_count(info: Info) -> int:
    """The number of members, counted once per request (the base of every rarity)."""
    return (await badge_figures(info)).members


_SHELF_VIEWS = "achievements.shelf_views"


async def shelf_views(
    info: Info, seen_by: queries.Viewer, mine: queries.BadgeShelfOfMember | None
) -> list[queries.BadgeView]:
    """Every badge, as the request's viewer sees it (`mine`: the viewer's badges, for a
    member), worked out once a request: the badges list shows them, and the signed-in
    member's own badges are among them."""

    async def read() -> list[queries.BadgeView]:
        return await badge_views(info, await badge_shelf(info), seen_by, mine)

    return await info.context.once(_SHELF_VIEWS, read)


def badge_views_loader(info: Info) -> DataLoader[int, queries.BadgeView | None]:
    """Badges by id, as the request's viewer sees them."""

    def factory() -> DataLoader[int, queries.BadgeView | None]:
        async def load(ids: list[int]) -> list[queries.BadgeView | None]:
            shelf = {badge.id: badge for badge in await badge_shelf(info)}
            wanted = set(ids)
            badges = [badge for badge_id, badge in shelf.items() if badge_id in wanted]
            seen_by = await viewer(info)
            mine = await own_badges(info, seen_by.member.id) if seen_by.member else None
            views = await badge_views(info, badges, seen_by, mine)
            by_id = {view.badge.id: view for view in views}
            return [by_id.get(i) for i in ids]

        return DataLoader(load_fn=load)

    return info.context.loader("achievements.badge_views", factory)


async def _held_badges(info: Info, member_ids: list[int]) -> list[list[MemberBadge]]:
    """The badges of members by member id (newest first), as the request's viewer sees them."""
    seen_by = await viewer(info)
    mine = None
    held = None
    if seen_by.member is not None and member_ids == [seen_by.member.id]:
        # The signed-in member's own badges: what the request read of them already.
        mine = await own_badges(info, seen_by.member.id)
        shelf = {badge.id: badge for badge in await badge_shelf(info)}
        if all(badge_id in shelf for badge_id in mine.earned):
            held = {seen_by.member.id: [(shelf[b], at) for b, at in mine.earned.items()]}
    if held is None:
        mine = None
        held = await queries.holdings(member_ids)
    badges = {badge.id: badge for holding in held.values() for badge, _ in holding}
    if mine is not None and info.context.started(_SHELF_VIEWS):
        # The request lists every badge too: the member's own are among those views
        # (a badge they hold shows whole, as `reveal_secrets` shows it).
        views = await shelf_views(info, seen_by, mine)
    else:
        views = await badge_views(info, list(badges.values()), seen_by, mine, reveal_secrets=True)
    by_id = {view.badge.id: view for view in views}
    return [
        [
            MemberBadge(badge=Badge(view=by_id[badge.id]), earned_at=earned_at)
            for badge, earned_at in held.get(member_id, [])
        ]
        for member_id in member_ids
    ]


_MEMBER_BADGES = "achievements.member_badges"


def member_badges_loader(info: Info) -> DataLoader[int, list[MemberBadge]]:
    """The badges of members by member id (newest first), as the request's viewer sees them."""

    def factory() -> DataLoader[int, list[MemberBadge]]:
        async def load(member_ids: list[int]) -> list[list[MemberBadge]]:
            return await _held_badges(info, member_ids)

        return DataLoader(load_fn=load)

    return info.context.loader(_MEMBER_BADGES, factory)


async def member_badges(info: Info, member: MemberModel) -> list[MemberBadge]:
    """`Member.badges`: what the member holds, most recently earned first. The signed-in
    member's own, when the request has read them already (the Badges screen reads them with
    the member) and no other member's were asked for, are taken at once: the loader would
    batch them alone (its first case above), at the cost of a task and futures."""
    context = info.context
    if (
        context.started(_OWN_BADGES)
        and _MEMBER_BADGES not in context.loaders
        and context.principal is not None
        and context.principal.role == Role.MEMBER
        and (await context.member()).id == member.id
    ):
        return (await _held_badges(info, [member.id]))[0]
    return await member_badges_loader(info).load(member.id)


def badges_of(views: Sequence[queries.BadgeView]) -> list[Badge]:
    return [Badge(view=view) for view in views]


async def challenges_of(info: Info, challenges: Sequence[ChallengeModel]) -> list[Challenge]:
    """Challenges with the request viewer's progress."""
    seen_by = await viewer(info)
    views = await queries.challenge_views(challenges, seen_by, info.context.now)
    rewards = RewardBadges(info)
    locale, language = seen_by.locale, seen_by.language  # each a computed property
    return [
        Challenge(view=view, locale=locale, language=language, rewards=rewards) for view in views
    ]


@strawberry.type(
    description="A member's progress in an active challenge, in the challenge's current "
    "period in the member's time zone (for the console)."
)
class MemberChallengeProgress:
    challenge: Challenge = strawberry.field(
        description="The challenge: title, window (startsAt, endsAt), recurrence and goal."
    )
    period_key: str = strawberry.field(
        description="The period counted: 'all' (no recurrence), '2026-03-29', '2026-W13', "
        "'2026-03'."
    )
    period_starts_at: datetime = strawberry.field(description="When this period began.")
    period_ends_at: datetime = strawberry.field(description="When this period ends (exclusive).")
    current: float = strawberry.field(description="The value reached so far in this period.")
    target: float = strawberry.field(description="The value that completes the challenge.")
    completed: bool = strawberry.field(description="Whether the member completed this period.")
    completed_at: datetime | None = strawberry.field(
        description="When the member completed this period; null before."
    )
    segment_code: str | None = strawberry.field(
        description="The segment the challenge is limited to (null: every member). Listed "
        "whether or not the member is in it: the app shows it only to the segment's members."
    )


def member_challenge_progress_loader(
    info: Info,
) -> DataLoader[MemberModel, list[MemberChallengeProgress]]:
    """The progress of every member asked for in the request in the active challenges: one
    query for all of them (the challenges come from the process's shelf)."""

    def factory() -> DataLoader[MemberModel, list[MemberChallengeProgress]]:
        async def load(
            members: Sequence[MemberModel],
        ) -> list[list[MemberChallengeProgress]]:
            seen_by = await viewer(info)
            shelf = await info.context.runtime.challenges.all(await info.context.versions())
            found = await queries.active_challenge_progress(members, shelf, info.context.now)
            rewards = RewardBadges(info)
            return [
                [
                    MemberChallengeProgress(
                        challenge=Challenge(
                            view=queries.ChallengeView(
                                p.challenge, p.rule, queries.ChallengeStatus.ACTIVE, None
                            ),
                            locale=seen_by.locale,
                            language=seen_by.language,
                            rewards=rewards,
                        ),
                        period_key=p.period.key,
                        period_starts_at=p.period.start,
                        period_ends_at=p.period.end,
                        current=p.progress.current,
                        target=p.progress.target,
                        completed=p.progress.completed_at is not None,
                        completed_at=p.progress.completed_at,
                        segment_code=p.challenge.segment_code,
                    )
                    for p in found[member.id]
                ]
                for member in members
            ]

        return DataLoader(load_fn=load, cache_key_fn=lambda member: member.id)

    return info.context.loader("achievements.member_challenge_progress", factory)


@strawberry.type(description="What an event unlocked: the badges and challenges part.")
class AchievementAwards:
    """Base of the `Awards` type of mutation payloads (recordPurchase, recordEngagement...):
    the payload's `Awards` inherits it and sets `member_id`, `badge_ids`, `challenge_ids` from
    the domain's `Awards`."""

    member_id: strawberry.Private[int]
    badge_ids: strawberry.Private[list[int]]
    challenge_ids: strawberry.Private[list[int]]

    # Most events award nothing: then these answer at once, without a coroutine (`later`).

    @strawberry.field(description="Badges the event earned.")
    def badges(self, info: Info) -> list[MemberBadge]:
        return later(self._badges(info)) if self.badge_ids else []

    async def _badges(self, info: Info) -> list[MemberBadge]:
        wanted = set(self.badge_ids)
        held = await member_badges_loader(info).load(self.member_id)
        return [mb for mb in held if int(mb.badge.view.badge.id) in wanted]

    @strawberry.field(description="Challenges the event completed (in their current period).")
    def completed_challenges(self, info: Info) -> list[Challenge]:
        return later(self._completed_challenges(info)) if self.challenge_ids else []

    async def _completed_challenges(self, info: Info) -> list[Challenge]:
        found = {c.id: c for c in await ChallengeModel.filter(id__in=self.challenge_ids)}
        return await challenges_of(info, [found[i] for i in self.challenge_ids if i in found])
