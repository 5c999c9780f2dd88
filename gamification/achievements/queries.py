"""What members and admins read about badges and challenges.

Every function answers for a list at once with a constant number of queries, so that the API
can serve a page of badges or challenges (and its dataloaders) without N+1.

Secret badges: until the viewer has earned one, its name, description, icon and rule in words
are replaced by a neutral text in the viewer's language and its progress is not shown (the
numbers would give the rule away); its rarity still shows, so members know it exists and how
few found it. Admins see everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from domain.achievements.models import (
    Badge,
    Challenge,
    MemberBadge,
    RuleProgress,
)
from domain.members.models import Member
from domain.members.services import WithMember
from domain.messages import CATALOGUE, DEFAULT_LANGUAGE
from domain.sql import Statement, as_datetime, distinct, placeholders
from domain.translations import Language
from domain.versions import ConfigPart, VersionedCache, Versions
from gamification.achievements.catalogue import rule_fingerprint
from gamification.achievements.engine import BADGE_PERIOD, member_zone
from gamification.achievements.segments import segments_of
from gamification.rules import (
    Period,
    ProgressState,
    Recurrence,
    Rule,
    current_value,
    describe,
    period_bounds,
    period_keys_in_any_zone,
    stored_rule,
)

_LAST_INSTANT = timedelta(microseconds=1)


class ChallengeStatus(StrEnum):
    UPCOMING = "UPCOMING"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


@dataclass(frozen=True)
class Viewer:
    """Who reads: a member (their progress and their secret badges revealed), an admin
    (everything revealed), or neither (a service: no progress, secrets hidden)."""

    member: Member | None = None
    is_admin: bool = False
    #: The program's default locale: what non-members read, and members' fallback.
    default_locale: str = DEFAULT_LANGUAGE

    @property
    def locale(self) -> str:
        return self.member.locale if self.member is not None else self.default_locale

    @property
    def language(self) -> Language:
        """The language catalogue content is read in (domain.translations)."""
        return Language(self.member.locale if self.member else None, self.default_locale)


@dataclass(frozen=True)
class ProgressView:
    current: float
    target: float
    completed_at: datetime | None


@dataclass(frozen=True)
class SecretText:
    name: str
    description: str


def secret_text(locale: str) -> SecretText:
    """The placeholder of a hidden secret badge in the language of `locale` (the
    `[achievements]` texts of the locale files)."""
    return SecretText(
        CATALOGUE.template(locale, "achievements.secret_name"),
        CATALOGUE.template(locale, "achievements.secret_description"),
    )


@dataclass(frozen=True)
class BadgeView:
    """A badge as one viewer sees it."""

    badge: Badge
    rule: Rule
    #: The row's shown values (`PreparedBadge.values`).
    values: tuple[object, ...]
    #: A secret badge the viewer has not earned: show `name`/`description`, not the badge's.
    hidden: bool
    #: Share of members holding it, from 0 to 1.
    rarity: float
    earned_at: datetime | None
    progress: ProgressView | None
    locale: str
    #: The language the badge's own texts are read in (domain.translations).
    language: Language

    @property
    def name(self) -> str:
        if self.hidden:
            return secret_text(self.locale).name
        return self.language.text(self.badge.translations, "name", self.badge.name)

    @property
    def description(self) -> str:
        if self.hidden:
            return secret_text(self.locale).description
        return self.language.text(self.badge.translations, "description", self.badge.description)

    @property
    def icon_url(self) -> str | None:
        return None if self.hidden else self.badge.icon_url

    def rule_description(self, locale: str | None = None) -> str:
        if self.hidden:
            return self.description
        return describe(self.rule, locale or self.locale)


@dataclass(frozen=True)
class ChallengeView:
    challenge: Challenge
    rule: Rule
    status: ChallengeStatus
    #: The viewer's progress in the current period (the last one once ended); None for
    #: viewers who are not members.
    progress: ProgressView | None


def rarity(holders: int, members: int) -> float:
    """Share of members holding a badge, between 0 and 1 (0 while there are no members)."""
    if members <= 0:
        return 0.0
    return min(1.0, max(0.0, holders / members))


async def member_count() -> int:
    """All members ever joined (the base of rarity, like the holder counters)."""
    return await Member.all().count()


async def list_badges(viewer: Viewer, now: datetime) -> list[BadgeView]:
    """Every badge, oldest first, as `viewer` sees it (four queries at most)."""
    badges = await Badge.all().order_by("id")
    return await badge_views(badges, viewer, now)


async def _all_badges() -> tuple[Badge, ...]:
    return tuple(await Badge.all().order_by("id"))


async def _all_challenges() -> tuple[Challenge, ...]:
    return tuple(await Challenge.all().order_by("starts_at", "code"))


class ChallengeShelf:
    """Every challenge, kept per process and read again when the achievements catalogue's
    version moved. Shared: treat the rows as read-only."""

    def __init__(self) -> None:
        self._challenges = VersionedCache(ConfigPart.ACHIEVEMENTS, _all_challenges)

    async def all(self, versions: Versions) -> tuple[Challenge, ...]:
        return await self._challenges.get(versions)

    def kept(self) -> tuple[Challenge, ...] | None:
        """The challenges as last read, unchecked (`VersionedCache.kept`; None before the
        first read): a guess, for what `all` answers once the versions are read."""
        kept = self._challenges.kept()
        return None if kept is None else kept[1]


@dataclass(frozen=True, slots=True)
class PreparedBadge:
    """What every request would work out again from a badge's row: its rule parsed, the
    rule's fingerprint (which progress rows count) and the values the row shows."""

    row: Badge
    rule: Rule
    fingerprint: str
    #: The row's shown values, texts and translations, picture, secret, points and rule
    #: (the rule and the translations as their reprs): equal rows give equal tuples, an
    #: edited row another (a fragment-cache key's part, api.types.achievements).
    values: tuple[object, ...]


def prepare_badge(row: Badge) -> PreparedBadge:
    rule = stored_rule(row.rule)
    values = (
        row.id, row.code, row.name, row.description, repr(row.translations), row.icon_url,
        row.secret, row.reward_points, repr(row.rule),
    )  # fmt: skip
    return PreparedBadge(row, rule, rule_fingerprint(rule), values)


class BadgeShelf:
    """Every badge, oldest first, kept per process and read again when the achievements
    catalogue's version moved. Holder counts on these rows are as of that read: rarity comes
    from `badge_figures`, read for each request. Shared: treat the rows as read-only."""

    def __init__(self) -> None:
        self._badges = VersionedCache(ConfigPart.ACHIEVEMENTS, _all_badges)
        #: The rows last read and each one prepared, by id (`prepare`).
        self._prepared: tuple[tuple[Badge, ...], dict[int, PreparedBadge]] = ((), {})

    async def all(self, versions: Versions) -> tuple[Badge, ...]:
        return await self._badges.get(versions)

    def prepare(self, row: Badge) -> PreparedBadge:
        """`prepare_badge(row)`, worked out once per row of the shelf as last read (a row
        that is not one of them, read elsewhere, is prepared anew)."""
        kept = self._badges.kept()
        rows, prepared = self._prepared
        if kept is not None and kept[1] is not rows:
            rows = kept[1]
            prepared = {badge.id: prepare_badge(badge) for badge in rows}
            self._prepared = (rows, prepared)
        found = prepared.get(row.id)
        return found if found is not None and found.row is row else prepare_badge(row)


@dataclass(frozen=True)
class BadgeFigures:
    """The base of rarity: how many members hold each badge, and how many members there are."""

    holders: Mapping[int, int]
    members: int


_FIGURES = Statement(
    "SELECT id, holders_count, (SELECT COUNT(*) FROM member) AS members FROM badge"
)


async def badge_figures() -> BadgeFigures:
    """Holder counts and the member count, in one query."""
    rows = await _FIGURES.rows()
    members = int(rows[0]["members"]) if rows else await member_count()
    return BadgeFigures({int(r["id"]): int(r["holders_count"]) for r in rows}, members)


@dataclass(frozen=True)
class StoredProgress:
    """The part of a `RuleProgress` row that reading progress needs."""

    rule_fingerprint: str
    state: dict[str, Any]


@dataclass(frozen=True)
class BadgeShelfOfMember:
    """What one member has of the badges: when each was earned (most recent first) and the
    progress kept towards each."""

    earned: Mapping[int, datetime]
    progress: Mapping[int, StoredProgress]


_MINE_SQL = f"""
    SELECT 'E' AS part, badge_id, earned_at, NULL AS rule_fingerprint, NULL AS state, id
    FROM member_badge WHERE member_id = $1
    UNION ALL
    SELECT 'P' AS part, badge_id, NULL AS earned_at, rule_fingerprint, state, id
    FROM rule_progress
    WHERE member_id = $1 AND badge_id IS NOT NULL AND period_key = '{BADGE_PERIOD}'
"""
_MINE = Statement(_MINE_SQL)
_BADGE_COLUMNS = ("part", "badge_id", "earned_at", "rule_fingerprint", "state", "id")
_MEMBER_AND_MINE = WithMember(_MINE_SQL, _BADGE_COLUMNS, versions=True)


async def badges_of_member(member_id: int) -> BadgeShelfOfMember:
    """The member's earned badges and badge progress, in one query."""
    return _shelf_of_rows(await _MINE.rows(member_id))


async def member_and_badges(
    customer_id: str,
) -> tuple[Member, BadgeShelfOfMember, Versions] | None:
    """The member of `customer_id` with their earned badges and badge progress, and the
    configuration's versions (the badges' shelf is checked against them next), in one query;
    None when no member has that customer id."""
    found = await _MEMBER_AND_MINE.read_with_versions(customer_id)
    return None if found is None else (found[0], _shelf_of_rows(found[1]), found[2])


def _shelf_of_rows(rows: Sequence[Mapping[str, Any]]) -> BadgeShelfOfMember:
    earned: list[tuple[datetime, int, int]] = []
    progress: dict[int, StoredProgress] = {}
    for row in rows:
        if row["part"] == "E":
            earned.append((as_datetime(row["earned_at"]), int(row["id"]), int(row["badge_id"])))
        else:
            state = row["state"]
            progress[int(row["badge_id"])] = StoredProgress(
                row["rule_fingerprint"], json.loads(state) if isinstance(state, str) else state
            )
    earned.sort(reverse=True)
    return BadgeShelfOfMember({badge: at for at, _, badge in earned}, progress)


async def badge_views(
    badges: Sequence[Badge],
    viewer: Viewer,
    now: datetime,
    *,
    members: int | None = None,
    reveal_secrets: bool = False,
    figures: BadgeFigures | None = None,
    mine: BadgeShelfOfMember | None = None,
    prepare: Callable[[Badge], PreparedBadge] = prepare_badge,
) -> list[BadgeView]:
    """`badges` as `viewer` sees them: masked secrets, rarity, the member's progress.

    Pass `members` (the member count) when it is already known for the request, and
    `reveal_secrets` for badges someone is known to hold (a member's badges, awards).
    With `figures` (holder counts read for the request) rarity does not use the rows' own
    counts; with `mine` (the viewer's badges, read for the request) no more query is sent;
    with `prepare` (a process's `BadgeShelf.prepare`, for its rows) each row's rule is not
    parsed again."""
    if not badges:
        return []
    if figures is not None:
        members = figures.members
    members = await member_count() if members is None else members
    held: Mapping[int, datetime] = {}
    rows: Mapping[int, RuleProgress | StoredProgress] = {}
    tz = ZoneInfo("UTC")
    member = viewer.member
    if member is not None and mine is not None:
        held, rows = mine.earned, mine.progress
        tz = member_zone(member.time_zone)
    elif member is not None:
        ids = [b.id for b in badges]
        held = dict(
            await MemberBadge.filter(member_id=member.id, badge_id__in=ids).values_list(
                "badge_id", "earned_at"
            )
        )
        rows = {
            row.badge_id: row
            for row in await RuleProgress.filter(
                member_id=member.id, badge_id__in=ids, period_key=BADGE_PERIOD
            )
            if row.badge_id is not None  # always, by the filter: says so to the type checker
        }
        tz = member_zone(member.time_zone)
    views = []
    locale, language = viewer.locale, viewer.language  # each a computed property
    for badge in badges:
        prepared = prepare(badge)
        rule = prepared.rule
        earned_at = held.get(badge.id)
        hidden = badge.secret and earned_at is None and not (viewer.is_admin or reveal_secrets)
        progress = None
        if member is not None and not hidden:
            progress = _progress(rule, rows.get(badge.id), earned_at, now, tz, prepared.fingerprint)
        views.append(
            BadgeView(
                badge=badge,
                rule=rule,
                values=prepared.values,
                hidden=hidden,
                rarity=rarity(
                    badge.holders_count if figures is None else figures.holders.get(badge.id, 0),
                    members,
                ),
                earned_at=earned_at,
                progress=progress,
                locale=locale,
                language=language,
            )
        )
    return views


async def holdings(member_ids: Collection[int]) -> dict[int, list[tuple[Badge, datetime]]]:
    """The badges each member holds with when they earned them, newest first (two queries)."""
    held: dict[int, list[tuple[Badge, datetime]]] = {}
    rows = (
        await MemberBadge.filter(member_id__in=list(member_ids))
        .order_by("-earned_at", "-id")
        .prefetch_related("badge")
    )
    for row in rows:
        held.setdefault(row.member_id, []).append((row.badge, row.earned_at))
    return held


@dataclass(frozen=True)
class EarnedBadge:
    view: BadgeView
    earned_at: datetime


async def member_badges(
    member: Member, now: datetime, *, badge_ids: Collection[int] | None = None
) -> list[EarnedBadge]:
    """The badges `member` holds, most recently earned first (optionally only `badge_ids`,
    e.g. those one activity awarded)."""
    holdings = MemberBadge.filter(member_id=member.id)
    if badge_ids is not None:
        holdings = holdings.filter(badge_id__in=list(badge_ids))
    earned = await holdings.order_by("-earned_at", "-id").prefetch_related("badge")
    views = await badge_views(
        [mb.badge for mb in earned], Viewer(member=member), now, reveal_secrets=True
    )
    return [EarnedBadge(view, mb.earned_at) for view, mb in zip(views, earned, strict=True)]


def challenge_status(challenge: Challenge, now: datetime) -> ChallengeStatus:
    if now < challenge.starts_at:
        return ChallengeStatus.UPCOMING
    if now < challenge.ends_at:
        return ChallengeStatus.ACTIVE
    return ChallengeStatus.ENDED


async def list_challenges(
    status: ChallengeStatus | None,
    viewer: Viewer,
    now: datetime,
    *,
    shelf: Sequence[Challenge] | None = None,
    progress: ChallengeProgressRead | None = None,
) -> list[ChallengeView]:
    """The challenges in `status` (all when None), by start then code, as `viewer` sees them.
    From `shelf` (every challenge, as kept by a process) when given, else read now; the
    viewer's progress from `progress` where it holds it (`challenge_views`).

    A challenge limited to a segment is listed only for admins and the segment's members."""
    if shelf is None:
        shelf = await _all_challenges()
    challenges = challenges_in(status, shelf, now)
    if not viewer.is_admin:
        challenges = await _visible(challenges, viewer.member, now)
    return await challenge_views(challenges, viewer, now, progress=progress)


def challenges_in(
    status: ChallengeStatus | None, shelf: Sequence[Challenge], now: datetime
) -> list[Challenge]:
    """The challenges of `shelf` in `status` (all when None), by start then code, whoever
    reads (before the segments a member sees)."""
    challenges = [c for c in shelf if status is None or challenge_status(c, now) is status]
    challenges.sort(key=lambda c: (c.starts_at, c.code))
    return challenges


def _progress_sql(challenges: int, periods: int) -> str:
    """A member's (`$1`) progress and completions of `challenges` ids in `periods` period
    keys (`$2`...)."""
    ids = placeholders(challenges, start=2)
    keys = placeholders(periods, start=2 + challenges)
    return f"""
        SELECT 'P' AS part, challenge_id, period_key, rule_fingerprint, state,
            NULL AS completed_at
        FROM rule_progress
        WHERE member_id = $1 AND challenge_id IN ({ids}) AND period_key IN ({keys})
        UNION ALL
        SELECT 'C' AS part, challenge_id, period_key, NULL AS rule_fingerprint, NULL AS state,
            completed_at
        FROM challenge_completion
        WHERE member_id = $1 AND challenge_id IN ({ids}) AND period_key IN ({keys})
    """


@lru_cache(maxsize=64)
def _challenge_progress(challenges: int, periods: int) -> Statement:
    return Statement(_progress_sql(challenges, periods))


@dataclass(frozen=True, slots=True)
class ChallengeProgressRead:
    """A member's stored progress and completions of some challenges, read for every key of
    `keys` (challenge id, period key): what is not in `rows` or `done` is not stored."""

    keys: frozenset[tuple[int, str]]
    rows: Mapping[tuple[int, str], StoredProgress]
    done: Mapping[tuple[int, str], datetime]


def _progress_read(
    keys: frozenset[tuple[int, str]], rows: Sequence[Mapping[str, Any]]
) -> ChallengeProgressRead:
    """The rows of `_progress_sql` read for `keys` (rows of other pairs are left out)."""
    progress: dict[tuple[int, str], StoredProgress] = {}
    done: dict[tuple[int, str], datetime] = {}
    for row in rows:
        at = (int(row["challenge_id"]), row["period_key"])
        if at not in keys:
            continue
        if row["part"] == "C":
            done[at] = as_datetime(row["completed_at"])
        else:
            state = row["state"]
            progress[at] = StoredProgress(
                row["rule_fingerprint"], json.loads(state) if isinstance(state, str) else state
            )
    return ChallengeProgressRead(keys, progress, done)


async def _read_progress(member_id: int, keys: frozenset[tuple[int, str]]) -> ChallengeProgressRead:
    ids = distinct(sorted({challenge_id for challenge_id, _ in keys}))
    periods = sorted({key for _, key in keys})
    statement = _challenge_progress(len(ids), len(periods))
    return _progress_read(keys, await statement.rows(member_id, *ids, *periods))


def progress_keys_in_any_zone(
    challenges: Sequence[Challenge], now: datetime
) -> frozenset[tuple[int, str]]:
    """Every (challenge, period key) that `challenge_views` may read for a member of any time
    zone (`period_keys_in_any_zone`): what to read before the member's zone is known."""
    return frozenset(
        (challenge.id, key)
        for challenge in challenges
        for key in period_keys_in_any_zone(
            Recurrence(challenge.recurrence),
            challenge.starts_at,
            challenge.ends_at,
            _read_at(challenge, now),
        )
    )


def _read_at(challenge: Challenge, now: datetime) -> datetime:
    """The moment a challenge's progress is read as of: `now`, within the challenge."""
    return min(max(now, challenge.starts_at), challenge.ends_at - _LAST_INSTANT)


@lru_cache(maxsize=64)
def _member_and_challenges(badges: bool, challenges: int, periods: int) -> WithMember:
    """The member of a customer id (`$1`) with their progress and completions of `challenges`
    ids in `periods` keys, and with their badges and badge progress if `badges`. Each row
    says its side: 'B' (`_MINE_SQL`'s columns) or 'C' (`_progress_sql`'s)."""
    progress = f"""
        SELECT 'C' AS side, part, NULL AS badge_id, NULL AS earned_at, rule_fingerprint, state,
            NULL AS id, challenge_id, period_key, completed_at
        FROM ({_progress_sql(challenges, periods)}) AS c"""
    mine = f"""
        SELECT 'B' AS side, part, badge_id, earned_at, rule_fingerprint, state, id,
            NULL AS challenge_id, NULL AS period_key, NULL AS completed_at
        FROM ({_MINE_SQL}) AS b
        UNION ALL"""
    columns = ("side", *_BADGE_COLUMNS, "challenge_id", "period_key", "completed_at")
    return WithMember((mine if badges else "") + progress, columns, versions=True)


async def member_with_challenge_progress(
    customer_id: str, keys: frozenset[tuple[int, str]], *, badges: bool
) -> tuple[Member, BadgeShelfOfMember | None, ChallengeProgressRead, Versions] | None:
    """The member of `customer_id` with their progress and completions of the challenges'
    period `keys` (`progress_keys_in_any_zone`), with their badges and badge progress
    (`badges_of_member`) if `badges`, and the configuration's versions, in one statement;
    None when no member has that customer id. `keys` must not be empty."""
    ids = distinct(sorted({challenge_id for challenge_id, _ in keys}))
    periods = sorted({key for _, key in keys})
    if not ids:
        raise ValueError("no challenge period to read")
    statement = _member_and_challenges(badges, len(ids), len(periods))
    found = await statement.read_with_versions(customer_id, *ids, *periods)
    if found is None:
        return None
    member, rows, versions = found
    mine = _shelf_of_rows([r for r in rows if r["side"] == "B"]) if badges else None
    progress = _progress_read(keys, [r for r in rows if r["side"] == "C"])
    return member, mine, progress, versions


async def challenge_views(
    challenges: Sequence[Challenge],
    viewer: Viewer,
    now: datetime,
    *,
    progress: ChallengeProgressRead | None = None,
) -> list[ChallengeView]:
    """`challenges` with the viewer's progress in the current period (one query; none when
    `progress`, read before the member's zone was known, holds every period asked)."""
    member = viewer.member
    keyed: list[tuple[Challenge, Rule, str, datetime]] = []
    tz = member_zone(member.time_zone) if member is not None else ZoneInfo("UTC")
    for challenge in challenges:
        read_at = _read_at(challenge, now)
        period = period_bounds(
            Recurrence(challenge.recurrence), challenge.starts_at, challenge.ends_at, read_at, tz
        )
        key = period.key if period is not None else "all"
        keyed.append((challenge, stored_rule(challenge.goal), key, read_at))
    stored: ChallengeProgressRead | None = None
    if member is not None and keyed:
        wanted = frozenset((c.id, key) for c, _, key, _ in keyed)
        stored = progress if progress is not None and wanted <= progress.keys else None
        if stored is None:
            stored = await _read_progress(member.id, wanted)
    views = []
    for challenge, rule, key, read_at in keyed:
        shown = None
        if stored is not None:
            shown = _progress(
                rule,
                stored.rows.get((challenge.id, key)),
                stored.done.get((challenge.id, key)),
                read_at,
                tz,
            )
        views.append(ChallengeView(challenge, rule, challenge_status(challenge, now), shown))
    return views


@dataclass(frozen=True)
class MemberChallengeProgress:
    """A member's progress in an active challenge, in the challenge's period of now in the
    member's time zone."""

    challenge: Challenge
    rule: Rule
    period: Period
    progress: ProgressView


@lru_cache(maxsize=64)
def _members_challenge_progress(members: int, challenges: int, periods: int) -> Statement:
    """The progress and completions of `members` ids in `challenges` ids in `periods` keys."""
    who = placeholders(members, start=1)
    ids = placeholders(challenges, start=1 + members)
    keys = placeholders(periods, start=1 + members + challenges)
    return Statement(f"""
        SELECT 'P' AS part, member_id, challenge_id, period_key, rule_fingerprint, state,
            NULL AS completed_at
        FROM rule_progress
        WHERE member_id IN ({who}) AND challenge_id IN ({ids}) AND period_key IN ({keys})
        UNION ALL
        SELECT 'C' AS part, member_id, challenge_id, period_key, NULL AS rule_fingerprint,
            NULL AS state, completed_at
        FROM challenge_completion
        WHERE member_id IN ({who}) AND challenge_id IN ({ids}) AND period_key IN ({keys})
    """)


async def active_challenge_progress(
    members: Sequence[Member], shelf: Sequence[Challenge], now: datetime
) -> dict[int, list[MemberChallengeProgress]]:
    """For each of `members` (by id), their progress in every challenge of `shelf` active
    now, ending soonest first, each in its period of now in the member's time zone: one
    query for all of them (none when no challenge is active). Challenges limited to a
    segment are included whoever the member is: knowing who is in a segment takes a query
    per member, and the console names the segment instead."""
    active = sorted(
        (c for c in shelf if challenge_status(c, now) is ChallengeStatus.ACTIVE),
        key=lambda c: (c.ends_at, c.code),
    )
    planned: dict[int, list[tuple[Challenge, Rule, Period, ZoneInfo]]] = {}
    for member in members:
        tz = member_zone(member.time_zone)
        planned[member.id] = []
        for challenge in active:
            period = period_bounds(
                Recurrence(challenge.recurrence), challenge.starts_at, challenge.ends_at, now, tz
            )
            if period is not None:
                planned[member.id].append((challenge, stored_rule(challenge.goal), period, tz))
    rows: dict[tuple[int, int, str], StoredProgress] = {}
    done: dict[tuple[int, int, str], datetime] = {}
    member_ids = [m for m, plan in planned.items() if plan]
    if member_ids:
        ids = distinct([c.id for c in active])
        keys = sorted({p.key for plan in planned.values() for _, _, p, _ in plan})
        statement = _members_challenge_progress(len(member_ids), len(ids), len(keys))
        for row in await statement.rows(*member_ids, *ids, *keys):
            at = (int(row["member_id"]), int(row["challenge_id"]), row["period_key"])
            if row["part"] == "C":
                done[at] = as_datetime(row["completed_at"])
            else:
                state = row["state"]
                rows[at] = StoredProgress(
                    row["rule_fingerprint"], json.loads(state) if isinstance(state, str) else state
                )
    return {
        member_id: [
            MemberChallengeProgress(
                challenge,
                rule,
                period,
                _progress(
                    rule,
                    rows.get((member_id, challenge.id, period.key)),
                    done.get((member_id, challenge.id, period.key)),
                    now,
                    tz,
                ),
            )
            for challenge, rule, period, tz in plan
        ]
        for member_id, plan in planned.items()
    }


async def _visible(
    challenges: list[Challenge], member: Member | None, now: datetime
) -> list[Challenge]:
    codes = {c.segment_code for c in challenges if c.segment_code is not None}
    if not codes:
        return challenges
    held = await segments_of(member.id, codes, now) if member is not None else set()
    return [c for c in challenges if c.segment_code is None or c.segment_code in held]


def _progress(
    rule: Rule,
    row: RuleProgress | StoredProgress | None,
    completed_at: datetime | None,
    read_at: datetime,
    tz: ZoneInfo,
    fingerprint: str | None = None,
) -> ProgressView:
    """Progress as of `read_at`: the target once completed, else the value of the state kept
    for this version of the rule (0 when the rule was edited since). `fingerprint`: the
    rule's, when known."""
    if completed_at is not None:
        return ProgressView(current=rule.target, target=rule.target, completed_at=completed_at)
    value = 0.0
    if row is not None and row.rule_fingerprint == (fingerprint or rule_fingerprint(rule)):
        value = current_value(rule, ProgressState.from_json(row.state), read_at, tz)
    return ProgressView(current=value, target=rule.target, completed_at=None)
