"""Back-fill: evaluate one badge over the history already recorded, as if it had always existed.

Members are taken in batches (by id). For each batch, in one transaction: the members' rows
are locked (no live activity of theirs interleaves), the holders are skipped, every other
member's progress is rebuilt from scratch by replaying their history in order (never added to
what is stored, so running it again changes nothing), and those whose history reached the
target at some point are awarded through the same unique key as the live engine.

History is what the domain keeps as rows: purchases, and engagements (shares, reviews,
surveys). Activities are replayed with the references the live use cases give them, so that
a later redelivery is recognised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.achievements.models import Badge, MemberBadge
from domain.errors import InvalidInput, NotFound
from domain.members.models import Member
from domain.program import Program, read_program
from domain.purchases.models import Purchase
from domain.referrals.models import Engagement, EngagementKind
from gamification.achievements.awarding import Unlocked, award_badge, count_holders
from gamification.achievements.catalogue import IndexedBadge
from gamification.achievements.engine import (
    BADGE_PERIOD,
    ProgressRow,
    member_zone,
    save_progress,
    stored_value,
)
from gamification.rules import (
    EventKind,
    MemberEvent,
    ProgressState,
    Rule,
    apply_event,
    current_value,
)

History = dict[int, list[MemberEvent]]
HistoryLoader = Callable[[Rule, Sequence[int]], Awaitable[History]]


async def purchase_history(rule: Rule, member_ids: Sequence[int]) -> History:
    """The members' purchases as PURCHASE events (reference "order:<order id>")."""
    query = Purchase.filter(member_id__in=list(member_ids))
    # Narrow in SQL what is cheap to narrow; `matches` decides the rest.
    if rule.channel is not None:
        query = query.filter(channel=rule.channel.value)
    if rule.store_code is not None:
        query = query.filter(store_code=rule.store_code)
    if rule.min_amount is not None:
        query = query.filter(amount__gte=rule.min_amount)
    history: History = defaultdict(list)
    # Only the columns an event needs: whole rows (items, awards as JSON) cost most of a run.
    rows = await query.order_by("occurred_at", "id").values_list(
        "member_id",
        "occurred_at",
        "order_id",
        "amount",
        "points_earned",
        "categories",
        "channel",
        "store_code",
    )
    for member_id, occurred_at, order_id, amount, points, categories, channel, store in rows:
        history[member_id].append(
            MemberEvent(
                kind=EventKind.PURCHASE,
                occurred_at=occurred_at,
                reference=f"order:{order_id}",
                amount=amount,
                points=points,
                categories=frozenset(categories or ()),
                channel=str(channel),
                store_code=store,
            )
        )
    return history


async def engagement_history(rule: Rule, member_ids: Sequence[int]) -> History:
    """The members' engagements of the rule's kind (reference "engagement:<id>")."""
    history: History = defaultdict(list)
    rows = Engagement.filter(member_id__in=list(member_ids), kind=EngagementKind(rule.event))
    for engagement in await rows.order_by("occurred_at", "id"):
        history[engagement.member_id].append(
            MemberEvent(
                kind=rule.event,
                occurred_at=engagement.occurred_at,
                reference=f"engagement:{engagement.id}",
                points=engagement.points_awarded,
            )
        )
    return history


HISTORY: Mapping[EventKind, HistoryLoader] = MappingProxyType(
    {
        EventKind.PURCHASE: purchase_history,
        EventKind.SHARE: engagement_history,
        EventKind.REVIEW: engagement_history,
        EventKind.SURVEY: engagement_history,
    }
)
"""Where the history of each event kind is read from. Kinds absent here keep no history of
their own that back-fill could replay."""


async def backfill_badge(
    code: str,
    now: datetime,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Award badge `code` to every member whose recorded history meets its rule; returns how
    many members were awarded by this run (0 when run again). `progress(done, total)` hears
    of each batch (members looked at, members there are).

    Raises:
        NotFound: no badge has this code (field ["code"]).
        InvalidInput: the rule's event kind has no recorded history to replay (field ["code"]).
    """
    badge, loader = await backfillable(code, batch_size)
    # A rare admin command: the configuration read once for the whole run.
    program = await read_program()
    awarded = 0
    after = 0
    total = await Member.all().count() if progress is not None else 0
    done = 0
    while True:
        batch = await backfill_next_batch(badge, loader, after, batch_size, now, program)
        if batch is None:
            return awarded
        awarded += batch.awarded
        after = batch.last_member_id
        done += batch.members
        if progress is not None:
            progress(done, max(total, done))


async def backfillable(code: str, batch_size: int = 500) -> tuple[IndexedBadge, HistoryLoader]:
    """Badge `code` and the loader of the history its rule replays.

    Raises:
        InvalidInput: a batch size below 1 (field ["batchSize"]), or a rule whose event kind
            has no recorded history (field ["code"]).
        NotFound: no badge has this code (field ["code"]).
    """
    if batch_size < 1:
        raise InvalidInput("The batch size must be at least 1.", ["batchSize"])
    stored = await Badge.get_or_none(code=code)
    if stored is None:
        raise NotFound(f"No badge has the code {code!r}.", ["code"])
    badge = IndexedBadge.of(stored)
    return badge, history_loader(badge.rule, ["code"])


def history_loader(rule: Rule, field: list[str]) -> HistoryLoader:
    """Where the history of `rule`'s event kind is read from. Raises `InvalidInput` on
    `field` for a kind that keeps no history to replay."""
    loader = HISTORY.get(rule.event)
    if loader is None:
        kinds = ", ".join(sorted(HISTORY))
        raise InvalidInput(
            f"{rule.event} activities keep no history to replay (only {kinds}).", field
        )
    return loader


@dataclass(frozen=True)
class BatchDone:
    """One batch of a back-fill: the last member id it looked at, how many members it looked
    at and how many it awarded."""

    last_member_id: int
    members: int
    awarded: int


async def backfill_next_batch(
    badge: IndexedBadge,
    loader: HistoryLoader,
    after: int,
    batch_size: int,
    now: datetime,
    program: Program,
) -> BatchDone | None:
    """Back-fill the next `batch_size` members by id after member id `after`, in one
    transaction; None when no member is left."""
    ids = list(
        await Member.filter(id__gt=after)
        .order_by("id")
        .limit(batch_size)
        .values_list("id", flat=True)
    )
    if not ids:
        return None
    awarded = await _backfill_batch(badge, loader, ids, now, program)
    return BatchDone(last_member_id=ids[-1], members=len(ids), awarded=awarded)


async def count_qualifying(rule: Rule, now: datetime, batch_size: int = 1000) -> int:
    """How many members' recorded history meets `rule` as of `now`: those a back-fill of a
    badge with this rule would award (holders included), read in batches, writing nothing.
    Raises `InvalidInput` (field ["rule", "event"]) for a kind without history."""
    loader = history_loader(rule, ["rule", "event"])
    qualifying = 0
    after = 0
    while True:
        rows = await (
            Member.filter(id__gt=after)
            .order_by("id")
            .limit(batch_size)
            .values_list("id", "time_zone")
        )
        if not rows:
            return qualifying
        zones = dict(rows)
        history = await loader(rule, list(zones))
        for member_id, events in history.items():
            if events and replay(rule, events, member_zone(zones.get(member_id, "UTC")), now)[2]:
                qualifying += 1
        after = rows[-1][0]


async def _backfill_batch(
    badge: IndexedBadge,
    loader: HistoryLoader,
    member_ids: Sequence[int],
    now: datetime,
    program: Program,
) -> int:
    async with in_transaction():
        zones = dict(
            await Member.filter(id__in=list(member_ids))
            .select_for_update()
            .values_list("id", "time_zone")
        )
        holders = set(
            await MemberBadge.filter(badge_id=badge.id, member_id__in=list(member_ids)).values_list(
                "member_id", flat=True
            )
        )
        pending = [m for m in member_ids if m not in holders]
        if not pending:
            return 0
        history = await loader(badge.rule, pending)
        changed: list[ProgressRow] = []
        reached: list[int] = []
        for member_id in pending:
            events = history.get(member_id)
            if not events:
                continue
            tz = member_zone(zones.get(member_id, "UTC"))
            state, value, done = replay(badge.rule, events, tz, now)
            changed.append(
                ProgressRow(
                    member_id=member_id,
                    badge_id=badge.id,
                    challenge_id=None,
                    period_key=BADGE_PERIOD,
                    state=state.to_json(),
                    current=stored_value(value),
                    rule_fingerprint=badge.fingerprint,
                    completed_at=now if done else None,
                    updated_at=now,
                )
            )
            if done:
                reached.append(member_id)
        await save_progress(changed)
        unlocked = Unlocked()
        for member_id in reached:
            await award_badge(member_id, badge, now, unlocked, program)
        await count_holders(unlocked)
        return len(unlocked.badge_ids)


def replay(
    rule: Rule, events: Sequence[MemberEvent], tz: ZoneInfo, now: datetime
) -> tuple[ProgressState, float, bool]:
    """Fold `events` (oldest first) from scratch: the state, its value, and whether the value
    reached the target as of some event (the state is then the one at that event)."""
    state = ProgressState()
    for event in events:
        after = apply_event(rule, state, event, tz)
        if after == state:
            continue
        state = after
        value = current_value(rule, state, event.occurred_at, tz)
        if value >= rule.target:
            return state, value, True
    return state, current_value(rule, state, now, tz), False
