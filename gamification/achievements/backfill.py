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
    for purchase in await query.order_by("occurred_at", "id"):
        history[purchase.member_id].append(
            MemberEvent(
                kind=EventKind.PURCHASE,
                occurred_at=purchase.occurred_at,
                reference=f"order:{purchase.order_id}",
                amount=purchase.amount,
                points=purchase.points_earned,
                categories=frozenset(purchase.categories or ()),
                channel=str(purchase.channel),
                store_code=purchase.store_code,
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
    if batch_size < 1:
        raise InvalidInput("The batch size must be at least 1.", ["batchSize"])
    stored = await Badge.get_or_none(code=code)
    if stored is None:
        raise NotFound(f"No badge has the code {code!r}.", ["code"])
    badge = IndexedBadge.of(stored)
    loader = HISTORY.get(badge.rule.event)
    if loader is None:
        kinds = ", ".join(sorted(HISTORY))
        raise InvalidInput(
            f"{badge.rule.event} activities keep no history to replay (only {kinds}).", ["code"]
        )
    # A rare admin command: the configuration read once for the whole run.
    program = await read_program()
    awarded = 0
    after = 0
    total = await Member.all().count() if progress is not None else 0
    done = 0
    while True:
        ids = list(
            await Member.filter(id__gt=after)
            .order_by("id")
            .limit(batch_size)
            .values_list("id", flat=True)
        )
        if not ids:
            return awarded
        awarded += await _backfill_batch(badge, loader, ids, now, program)
        after = ids[-1]
        done += len(ids)
        if progress is not None:
            progress(done, max(total, done))


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
