"""Use cases of the notification feed: notify members, read the feed, mark it read.

`notify_members` is the one way a notification is born: it writes the feed row (once per
member and dedupe key) and decides the push by the member's preferences, quiet hours and
daily cap. The delivery worker (`push.notifications.delivery`) sends what it scheduled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.errors import InvalidInput, NotFound
from domain.members.models import Member
from domain.sql import Statement
from push.notifications.models import (
    COUNTED_STATUSES,
    Notification,
    NotificationCategory,
    NotificationPreferences,
    PushStatus,
)
from push.notifications.preferences import preferences_of_many
from push.notifications.rules import Verdict, decide_push, local_date, zone

MAX_PAGE = 100
MAX_MARK_READ_IDS = 500
_TITLE_MAX = 200
_BODY_MAX = 1000


@dataclass(frozen=True)
class Recipient:
    """What a notification's text may use of the member it is for."""

    member_id: int
    name: str
    locale: str
    time_zone: str


@dataclass(frozen=True)
class Draft:
    """A notification before it is written: its texts are final (already in the member's
    language)."""

    category: NotificationCategory
    title: str
    body: str
    deep_link: str | None = None
    data: Mapping[str, str] = field(default_factory=dict)


Compose = Callable[[Recipient], Draft | None]


async def notify_members(
    member_ids: Iterable[int], compose: Compose, dedupe_key: str, now: datetime
) -> list[Notification]:
    """Write a feed notification for each member (`compose` gives its texts, or None to skip
    the member) unless the member already has one with `dedupe_key`, and schedule its push.

    The push is PENDING (due now), HELD (until the member's quiet hours end) or SKIPPED (push
    disabled, category off, daily cap reached) by `push.notifications.rules.decide_push`. The
    members' rows are locked, so concurrent notifications never overrun a daily cap nor
    duplicate a key. Erased members get nothing. Returns the notifications created, by member
    id; the caller publishes them to the live feed once its transaction has committed.
    """
    ids = sorted(set(member_ids))
    if not ids:
        return []
    async with in_transaction():
        # Whole rows: tortoise drops FOR UPDATE from .values() queries.
        members = (
            await Member.filter(id__in=ids, erased_at__isnull=True)
            .order_by("id")
            .select_for_update()
        )
        already = set(
            await Notification.filter(member_id__in=ids, dedupe_key=dedupe_key).values_list(
                "member_id", flat=True
            )
        )
        recipients = [
            Recipient(m.id, m.display_name, m.locale, m.time_zone)
            for m in members
            if m.id not in already
        ]
        if not recipients:
            return []
        preferences = await preferences_of_many(r.member_id for r in recipients)
        counts = await _pushes_by_local_day(recipients, now)
        rows: list[Notification] = []
        for recipient in recipients:
            draft = compose(recipient)
            if draft is None:
                continue
            tz = zone(recipient.time_zone)
            decision = decide_push(
                preferences[recipient.member_id],
                draft.category,
                now,
                tz,
                counts.get(recipient.member_id, {}),
            )
            status = {
                Verdict.PUSH: PushStatus.PENDING,
                Verdict.HOLD: PushStatus.HELD,
                Verdict.SKIP: PushStatus.SKIPPED,
            }[decision.verdict]
            rows.append(
                Notification(
                    member_id=recipient.member_id,
                    category=draft.category,
                    title=_clip(draft.title, _TITLE_MAX),
                    body=_clip(draft.body, _BODY_MAX),
                    deep_link=draft.deep_link,
                    dedupe_key=dedupe_key,
                    created_at=now,
                    push_status=status,
                    push_reason=decision.reason,
                    push_at=decision.at,
                    next_attempt_at=decision.at,
                    data=dict(draft.data),
                )
            )
        if not rows:
            return []
        try:
            async with in_transaction():
                await Notification.bulk_create(rows)
        except IntegrityError:
            # Only a writer that did not lock the members can get here: keep what exists.
            created_ids = await _insert_one_by_one(rows)
            return await Notification.filter(id__in=created_ids).order_by("member_id")
        return await Notification.filter(
            member_id__in=[r.member_id for r in rows], dedupe_key=dedupe_key
        ).order_by("member_id")


async def _insert_one_by_one(rows: Sequence[Notification]) -> list[int]:
    created: list[int] = []
    for row in rows:
        try:
            async with in_transaction():
                await row.save()
                created.append(row.id)
        except IntegrityError:
            continue
    return created


async def _pushes_by_local_day(
    recipients: Sequence[Recipient], now: datetime
) -> dict[int, dict[date, int]]:
    """Each member's pushes already due, per local day, around `now` (a held push counts
    toward the day it goes out, which may be tomorrow)."""
    zones = {r.member_id: zone(r.time_zone) for r in recipients}
    rows = await Notification.filter(
        member_id__in=list(zones),
        push_status__in=COUNTED_STATUSES,
        push_at__gte=now - timedelta(days=2),
        push_at__lt=now + timedelta(days=3),
    ).values_list("member_id", "push_at")
    counts: dict[int, dict[date, int]] = {}
    for member_id, push_at in rows:
        day = local_date(push_at, zones[member_id])
        per_day = counts.setdefault(member_id, {})
        per_day[day] = per_day.get(day, 0) + 1
    return counts


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- the feed


@dataclass(frozen=True)
class NotificationPage:
    """A page of a member's feed, newest first."""

    items: list[Notification]
    has_next_page: bool
    unread_count: int


async def notification_page(
    member_id: int, first: int = 20, after_id: int | None = None, unread_only: bool = False
) -> NotificationPage:
    """The member's notifications newest first: `first` (0-100) older than `after_id`, and
    the number unread. Raises InvalidInput for a bad `first`."""
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 0 and {MAX_PAGE}", ["first"])
    query = Notification.filter(member_id=member_id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return NotificationPage(
        items=rows[:first],
        has_next_page=len(rows) > first,
        unread_count=await unread_count(member_id),
    )


_UNREAD = Statement(
    "SELECT COUNT(*) AS n FROM notification WHERE member_id = $1 AND read_at IS NULL"
)


async def unread_count(member_id: int) -> int:
    """How many of the member's notifications are unread (one statement: the app's home
    screen asks it on every visit)."""
    rows = await _UNREAD.rows(member_id)
    return int(rows[0]["n"]) if rows else 0


async def mark_notifications_read(
    member_id: int, notification_ids: Sequence[int] | None, now: datetime
) -> int:
    """Mark the given notifications of the member read (all of them when None) and return
    how many stay unread. Marking one already read changes nothing.

    Raises InvalidInput beyond 500 ids, NotFound (naming the first id at fault) when an id is
    not one of the member's notifications; nothing changes then.
    """
    async with in_transaction():
        query = Notification.filter(member_id=member_id, read_at__isnull=True)
        if notification_ids is not None:
            if len(notification_ids) > MAX_MARK_READ_IDS:
                raise InvalidInput(f"at most {MAX_MARK_READ_IDS} ids at once", ["input", "ids"])
            wanted = set(notification_ids)
            found = set(
                await Notification.filter(member_id=member_id, id__in=list(wanted)).values_list(
                    "id", flat=True
                )
            )
            for i, notification_id in enumerate(notification_ids):
                if notification_id not in found:
                    raise NotFound(
                        f"no notification {notification_id} for this member",
                        ["input", "ids", str(i)],
                    )
            query = query.filter(id__in=list(wanted))
        await query.update(read_at=now)
        return await unread_count(member_id)


async def erase_member_notifications(member_id: int) -> int:
    """Delete the member's feed (with its pushes) and preferences; returns the rows removed."""
    async with in_transaction():
        removed = await Notification.filter(member_id=member_id).delete()
        removed += await NotificationPreferences.filter(member_id=member_id).delete()
    return removed


async def failed_pushes(first: int = 20, after_id: int | None = None) -> list[Notification]:
    """Notifications whose push failed for good, newest first (for admins): the member, the
    tries made and the last error. Raises InvalidInput for a bad `first`."""
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 0 and {MAX_PAGE}", ["first"])
    query = Notification.filter(push_status=PushStatus.FAILED)
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    return await query.order_by("-id").limit(first).select_related("member")
