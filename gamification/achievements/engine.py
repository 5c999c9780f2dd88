"""The achievement engine: every member activity becomes progress and, once, awards.

It implements the domain's `ActivityObserver` and runs inside the transaction of the use case
that recorded the activity, so the payload can report what it unlocked and nothing is awarded
for an activity that is rolled back. The cost of an activity grows with the rules of its kind
whose filters it passes, never with the whole catalogue:

1. one primary-key read of the catalogue version (the index is reloaded only when it moved);
2. nothing more when no rule of that kind matches; otherwise the member's row, locked (which
   serialises the member's concurrent activities and gives their time zone);
3. one query for the member's progress rows of the matching rules;
4. at most two upserts of the progress that changed (badge rows, challenge rows);
5. per award: a savepoint-guarded insert (the idempotency key), the reward and the events,
   then one atomic increment per badge's holder counter, in badge id order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.achievements.models import RuleProgress
from domain.activity import Activity, Awards
from domain.members.models import Member
from domain.points import ledger
from domain.program import Program, ProgramCache
from domain.sql import Statement, as_datetime, placeholders
from domain.versions import Versions, read_versions
from gamification.achievements.awarding import (
    Unlocked,
    award_badge,
    complete_challenge,
    count_holders,
)
from gamification.achievements.catalogue import (
    INDEX_MAX_AGE,
    IndexedBadge,
    IndexedChallenge,
    RuleIndex,
    catalogue_version,
    load_index,
)
from gamification.achievements.segments import segments_of
from gamification.rules import (
    EventKind,
    MemberEvent,
    ProgressState,
    Rule,
    apply_event,
    current_value,
    matches,
    period_bounds,
)

BADGE_PERIOD = "all"
PROGRESS_FIELDS = ("state", "current", "rule_fingerprint", "completed_at", "updated_at")
BADGE_KEY = ("member_id", "badge_id", "period_key")
CHALLENGE_KEY = ("member_id", "challenge_id", "period_key")
_LAST_INSTANT = timedelta(microseconds=1)


@lru_cache(maxsize=512)
def member_zone(name: str) -> ZoneInfo:
    """The member's time zone; UTC when the stored name is unknown to this machine."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def member_event(activity: Activity) -> MemberEvent:
    """The rules core's view of a domain activity."""
    return MemberEvent(
        kind=EventKind(activity.kind),
        occurred_at=activity.occurred_at,
        reference=activity.reference,
        amount=activity.amount,
        points=activity.points,
        categories=activity.categories,
        channel=activity.channel,
        store_code=activity.store_code,
    )


ProgressKey = tuple[str, int, str]


@dataclass(frozen=True)
class ChallengeInPeriod:
    challenge: IndexedChallenge
    period_key: str
    #: When the goal is read: the evaluation moment, but never after the period ends.
    read_at: datetime


class AchievementEngine:
    """Badges, challenges and streaks from the members' activities (an `ActivityObserver`).

    Clock-free: every call takes `now`. One instance per process; its index of rules is
    shared by the calls and reloaded when the catalogue version in the database changes.
    A challenge limited to a segment counts only for the segment's members at the activity.
    """

    def __init__(self, program: ProgramCache | None = None) -> None:
        self._index: RuleIndex | None = None
        #: The earning rules and tier ladder that reward points are credited with (the
        #: runtime's cache, shared with the purchase path).
        self.program = program or ProgramCache()
        self._reload = asyncio.Lock()

    async def index(self, now: datetime, versions: Versions | None = None) -> RuleIndex:
        """The index as of the current catalogue version (one read of the versions when
        fresh, none when the caller read them already)."""
        version = await catalogue_version(versions)
        index = self._index
        if index is not None and index.version == version and now - index.built_at < INDEX_MAX_AGE:
            return index
        async with self._reload:
            index = self._index
            if index is None or index.version != version or now - index.built_at >= INDEX_MAX_AGE:
                index = await load_index(now)
                self._index = index
        return index

    async def watches(self, kind: str, now: datetime, *, versions: Versions | None = None) -> bool:
        """Whether a rule of this activity kind is configured (no query when `versions` is
        given and the index is fresh)."""
        index = await self.index(now, versions)
        event_kind = EventKind(kind)
        return bool(index.badges_for(event_kind) or index.challenges_for(event_kind))

    async def observe(
        self, activity: Activity, now: datetime, *, versions: Versions | None = None
    ) -> Awards:
        """Fold the activity into the member's progress and award what it completes.

        Must run inside the caller's transaction. Idempotent: the same activity (same kind
        and reference) delivered again adds no progress and awards nothing more.
        """
        plan = await self.plan(activity, now, versions=versions, lock=True)
        if plan.is_empty:
            return Awards()

        async def program() -> Program:
            # Inside the caller's transaction: the caller's versions, or a read of them on
            # the transaction's connection (never the process's shared reader).
            return await self.program.current(versions or await read_versions())

        unlocked = await apply_plan(plan, now, program=program)
        return Awards(
            badge_ids=unlocked.badge_ids,
            challenge_ids=unlocked.challenge_ids,
            points_awarded=unlocked.points,
            new_tier_code=unlocked.new_tier_code,
        )

    async def preview(
        self,
        activity: Activity,
        now: datetime,
        *,
        versions: Versions | None = None,
        time_zone: str | None = None,
    ) -> Awards:
        """What `observe` would award for the activity, without writing or locking anything:
        the same plan, with the awards' unique keys answered by a read (only when the plan
        completes something). `time_zone`: the member's, when the caller read their row
        (None: an unknown member, with no progress and in no segment yet). The tier is the
        caller's to work out (`Awards.new_tier_code` stays None)."""
        plan = await self.plan(activity, now, versions=versions, time_zone=time_zone)
        if not plan.completes:
            return Awards()
        known = time_zone is not None
        held, done = await already_awarded(plan) if known else (frozenset(), frozenset())
        return plan.awards(held, done)

    async def plan(
        self,
        activity: Activity,
        now: datetime,
        *,
        versions: Versions | None = None,
        lock: bool = False,
        time_zone: str | None = None,
    ) -> AchievementPlan:
        """What the activity does to the member's progress and which badges and challenges it
        completes, read but not written. `lock`: lock the member's row (for `observe`, in the
        caller's transaction); otherwise `time_zone` is the member's (None: a member not
        recorded yet, whose progress is empty and who is in no segment)."""
        event = member_event(activity)
        index = await self.index(now, versions)
        badges = [b for b in index.badges_for(event.kind) if matches(b.rule, event)]
        challenges = [
            c
            for c in index.challenges_for(event.kind)
            if c.is_active(event.occurred_at) and matches(c.rule, event)
        ]
        if not badges and not challenges:
            return AchievementPlan(member_id=activity.member_id)
        known = True
        holder: Member | None = None
        if lock:
            holder = member = await ledger.lock_member(activity.member_id)
            zone_name = member.time_zone
        else:
            known = time_zone is not None
            zone_name = time_zone or "UTC"
        tz = member_zone(zone_name)
        if known:
            challenges = await _in_members_segments(
                activity.member_id, challenges, event.occurred_at
            )
        else:
            challenges = [c for c in challenges if c.segment_code is None]
        periods = challenge_periods(challenges, event, tz, max(now, event.occurred_at))
        rows = (
            await load_progress(activity.member_id, [b.id for b in badges], periods)
            if known
            else {}
        )
        plan = plan_progress(
            activity.member_id, rows, event, badges, periods, tz, max(now, event.occurred_at), now
        )
        return replace(plan, holder=holder) if holder is not None else plan


@dataclass(frozen=True)
class AchievementPlan:
    """What one activity does to one member's achievements: the progress rows to write and
    what reaches its target (badges by their own rule, challenges in their period, whose
    reward badge comes with them), before the awards' unique keys have their say."""

    member_id: int
    progress: tuple[ProgressRow, ...] = ()
    badges: tuple[IndexedBadge, ...] = ()
    challenges: tuple[ChallengeInPeriod, ...] = ()
    #: The member's row, when the plan was made with it locked (for `apply_plan`).
    holder: Member | None = None

    @property
    def is_empty(self) -> bool:
        """Nothing to write."""
        return not self.progress

    @property
    def completes(self) -> bool:
        return bool(self.badges or self.challenges)

    def awards(
        self,
        held_badges: Collection[int] = frozenset(),
        done_challenges: Collection[tuple[int, str]] = frozenset(),
    ) -> Awards:
        """The awards as `apply_plan` gives them, in its order, for a member who holds
        `held_badges` and completed the (challenge id, period key) pairs `done_challenges`
        already: each is awarded once (the unique keys), bonus points with it."""
        held = set(held_badges)
        awards = Awards()

        def give(badge: IndexedBadge) -> None:
            if badge.id not in held:
                held.add(badge.id)
                awards.badge_ids.append(badge.id)
                awards.points_awarded += badge.reward_points

        for badge in self.badges:
            give(badge)
        for entry in self.challenges:
            challenge = entry.challenge
            if (challenge.id, entry.period_key) in done_challenges:
                continue
            awards.challenge_ids.append(challenge.id)
            awards.points_awarded += challenge.reward_points
            if challenge.reward_badge is not None:
                give(challenge.reward_badge)
        return awards


async def apply_plan(
    plan: AchievementPlan, now: datetime, *, program: Callable[[], Awaitable[Program]]
) -> Unlocked:
    """Write the plan's progress and award what it completes, each once (inside the caller's
    transaction, the member locked); returns what was awarded. `program` gives the
    configuration reward points are credited with, asked only when something is awarded."""
    await save_progress(plan.progress)
    unlocked = Unlocked()
    config = await program() if plan.completes else None
    holder = plan.holder
    for badge in plan.badges:
        assert config is not None
        await award_badge(plan.member_id, badge, now, unlocked, config, holder=holder)
    for entry in plan.challenges:
        assert config is not None
        await complete_challenge(
            plan.member_id, entry.challenge, entry.period_key, now, unlocked, config, holder=holder
        )
    await count_holders(unlocked)
    return unlocked


@lru_cache(maxsize=256)
def _awarded_statement(badges: int, challenges: int) -> Statement:
    """The member's ($1) badges among `badges` ids and completions of `challenges` ids."""
    parts = []
    if badges:
        parts.append(
            "SELECT 'B' AS part, badge_id AS id, '' AS period_key FROM member_badge "
            f"WHERE member_id = $1 AND badge_id IN ({placeholders(badges, 2)})"
        )
    if challenges:
        parts.append(
            "SELECT 'C' AS part, challenge_id AS id, period_key FROM challenge_completion "
            f"WHERE member_id = $1 AND challenge_id IN ({placeholders(challenges, 2 + badges)})"
        )
    return Statement(" UNION ALL ".join(parts))


async def already_awarded(
    plan: AchievementPlan,
) -> tuple[frozenset[int], frozenset[tuple[int, str]]]:
    """Of what the plan may award, the badges the member holds and the challenge periods they
    completed: what the awards' unique keys would refuse (one read, a dry run's only extra
    cost, and only when something completes)."""
    badge_ids = sorted(
        {b.id for b in plan.badges}
        | {e.challenge.reward_badge.id for e in plan.challenges if e.challenge.reward_badge}
    )
    challenge_ids = sorted({e.challenge.id for e in plan.challenges})
    if not badge_ids and not challenge_ids:
        return frozenset(), frozenset()
    rows = await _awarded_statement(len(badge_ids), len(challenge_ids)).rows(
        plan.member_id, *badge_ids, *challenge_ids
    )
    held = frozenset(int(r["id"]) for r in rows if r["part"] == "B")
    done = frozenset((int(r["id"]), str(r["period_key"])) for r in rows if r["part"] == "C")
    return held, done


async def _in_members_segments(
    member_id: int, challenges: list[IndexedChallenge], at: datetime
) -> list[IndexedChallenge]:
    codes = {c.segment_code for c in challenges if c.segment_code is not None}
    if not codes:
        return challenges
    held = await segments_of(member_id, codes, at)
    return [c for c in challenges if c.segment_code is None or c.segment_code in held]


def challenge_periods(
    challenges: Sequence[IndexedChallenge],
    event: MemberEvent,
    tz: ZoneInfo,
    evaluated_at: datetime,
) -> list[ChallengeInPeriod]:
    """The period of each challenge the event falls in (challenges whose period it misses
    are left out), with the moment its goal is read."""
    periods: list[ChallengeInPeriod] = []
    for challenge in challenges:
        period = period_bounds(
            challenge.recurrence, challenge.starts_at, challenge.ends_at, event.occurred_at, tz
        )
        if period is not None:
            read_at = min(evaluated_at, period.end - _LAST_INSTANT)
            periods.append(ChallengeInPeriod(challenge, period.key, read_at))
    return periods


def plan_progress(
    member_id: int,
    rows: Mapping[ProgressKey, StoredProgressRow],
    event: MemberEvent,
    badges: Sequence[IndexedBadge],
    periods: Sequence[ChallengeInPeriod],
    tz: ZoneInfo,
    evaluated_at: datetime,
    now: datetime,
) -> AchievementPlan:
    """Pure: apply `event` to the member's progress `rows` towards `badges` and challenge
    `periods` (already narrowed to those it matches). Progress is read as of `evaluated_at`;
    completions are dated `now`. The rows given are left as they are."""
    changed: list[ProgressRow] = []
    completed_badges: list[IndexedBadge] = []
    completed_challenges: list[ChallengeInPeriod] = []

    for badge in badges:
        key = ("badge", badge.id, BADGE_PERIOD)
        step = advance(rows.get(key), badge.rule, badge.fingerprint, event, tz, evaluated_at, now)
        if step is None:
            continue
        row, reached = step
        row.member_id, row.badge_id, row.period_key = member_id, badge.id, BADGE_PERIOD
        changed.append(row)
        if reached:
            completed_badges.append(badge)

    for entry in periods:
        challenge = entry.challenge
        key = ("challenge", challenge.id, entry.period_key)
        step = advance(
            rows.get(key), challenge.rule, challenge.fingerprint, event, tz, entry.read_at, now
        )
        if step is None:
            continue
        row, reached = step
        row.member_id, row.challenge_id = member_id, challenge.id
        row.period_key = entry.period_key
        changed.append(row)
        if reached:
            completed_challenges.append(entry)

    return AchievementPlan(
        member_id=member_id,
        progress=tuple(changed),
        badges=tuple(completed_badges),
        challenges=tuple(completed_challenges),
    )


@dataclass(slots=True)
class ProgressRow:
    """A `rule_progress` row as the engine reads and plans it: plain values, cheap to build
    (a tortoise model instance is not), turned into models only when saved."""

    member_id: int
    badge_id: int | None
    challenge_id: int | None
    period_key: str
    state: dict[str, Any]
    current: Decimal
    rule_fingerprint: str
    completed_at: datetime | None
    updated_at: datetime | None


class StoredProgressRow(Protocol):
    """What `advance` reads of a stored row (a `ProgressRow` or a `RuleProgress`)."""

    @property
    def state(self) -> Any: ...

    @property
    def rule_fingerprint(self) -> str: ...

    @property
    def completed_at(self) -> datetime | None: ...


@lru_cache(maxsize=256)
def _progress_statement(badges: int, challenges: int, periods: int) -> Statement:
    """The member's progress rows of `badges` badge ids and of `challenges` challenge ids in
    `periods` period keys ($1 the member, then the ids and keys in that order)."""
    conditions = []
    position = 2
    if badges:
        conditions.append(
            f"(badge_id IN ({placeholders(badges, position)}) AND period_key = '{BADGE_PERIOD}')"
        )
        position += badges
    if challenges:
        conditions.append(
            f"(challenge_id IN ({placeholders(challenges, position)}) "
            f"AND period_key IN ({placeholders(periods, position + challenges)}))"
        )
    return Statement(f"""
        SELECT badge_id, challenge_id, period_key, state, current, rule_fingerprint,
            completed_at, updated_at
        FROM rule_progress WHERE member_id = $1 AND ({" OR ".join(conditions)})
    """)


async def load_progress(
    member_id: int, badge_ids: Sequence[int], periods: Sequence[ChallengeInPeriod]
) -> dict[ProgressKey, ProgressRow]:
    """The member's progress rows for these badges and challenge periods, in one query
    (hand-written: every purchase that matches a rule runs it, see `domain.sql`)."""
    challenge_ids = sorted({p.challenge.id for p in periods})
    period_keys = sorted({p.period_key for p in periods})
    if not badge_ids and not challenge_ids:
        return {}
    statement = _progress_statement(len(badge_ids), len(challenge_ids), len(period_keys))
    found: dict[ProgressKey, ProgressRow] = {}
    for raw in await statement.rows(member_id, *badge_ids, *challenge_ids, *period_keys):
        state = raw["state"]
        completed_at, updated_at = raw["completed_at"], raw["updated_at"]
        row = ProgressRow(
            member_id=member_id,
            badge_id=raw["badge_id"],
            challenge_id=raw["challenge_id"],
            period_key=raw["period_key"],
            state=json.loads(state) if isinstance(state, str) else (state or {}),
            current=Decimal(str(raw["current"])),
            rule_fingerprint=raw["rule_fingerprint"],
            completed_at=as_datetime(completed_at) if completed_at is not None else None,
            updated_at=as_datetime(updated_at) if updated_at is not None else None,
        )
        if row.badge_id is not None:
            found[("badge", row.badge_id, row.period_key)] = row
        else:
            assert row.challenge_id is not None
            found[("challenge", row.challenge_id, row.period_key)] = row
    return found


async def save_progress(rows: Sequence[ProgressRow]) -> None:
    """Insert or update `rows` in at most two statements (badge rows, challenge rows): an
    upsert on each unique key, cheaper to build and run than an update per row."""
    for key, group in (
        (BADGE_KEY, [r for r in rows if r.badge_id is not None]),
        (CHALLENGE_KEY, [r for r in rows if r.badge_id is None]),
    ):
        if group:
            await RuleProgress.bulk_create(
                [_model(row) for row in group],
                on_conflict=key,
                update_fields=PROGRESS_FIELDS,
            )


def _model(row: ProgressRow) -> RuleProgress:
    return RuleProgress(
        member_id=row.member_id,
        badge_id=row.badge_id,
        challenge_id=row.challenge_id,
        period_key=row.period_key,
        state=row.state,
        current=row.current,
        rule_fingerprint=row.rule_fingerprint,
        completed_at=row.completed_at,
        updated_at=row.updated_at,
    )


def stored_value(value: float) -> Decimal:
    """A rule's value for the `current` column (cents are enough: amounts are money)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def advance(
    row: StoredProgressRow | None,
    rule: Rule,
    fingerprint: str,
    event: MemberEvent,
    tz: ZoneInfo,
    read_at: datetime,
    now: datetime,
) -> tuple[ProgressRow, bool] | None:
    """The progress row after `event` and whether it reaches the target now, or None when
    there is nothing to write (already completed, or the event changed nothing).

    A row kept for another version of the rule (another fingerprint) starts again from zero.
    """
    if row is not None and row.completed_at is not None:
        return None
    current_rule = row is not None and row.rule_fingerprint == fingerprint
    state = ProgressState.from_json(row.state) if row is not None and current_rule else None
    before = state if state is not None else ProgressState()
    after = apply_event(rule, before, event, tz)
    if state is not None and after == state:
        return None
    value = current_value(rule, after, read_at, tz)
    reached = value >= rule.target
    # A new row: the row read stays as it was (a preview leaves nothing changed behind).
    # The caller sets whose row it is.
    row = ProgressRow(
        member_id=0,
        badge_id=None,
        challenge_id=None,
        period_key=BADGE_PERIOD,
        state=after.to_json(),
        current=stored_value(value),
        rule_fingerprint=fingerprint,
        completed_at=now if reached else None,
        updated_at=now,
    )
    return row, reached
