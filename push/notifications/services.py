"""Use cases of the notification feed: notify members, read the feed, mark it read.

`notify_members` is the one way a notification is born: it writes the feed row (once per
member and dedupe key) and decides the push by the member's preferences, quiet hours and
daily cap. The delivery worker (`push.notifications.delivery`) sends what it scheduled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.errors import InvalidInput, NotFound
from domain.members.models import Member
from domain.messages import CATALOGUE
from domain.sql import Statement, as_datetime, dialect, literals
from domain.tiers.qualification import HeldTier
from push.notifications.models import (
    COUNTED_STATUSES,
    Notification,
    NotificationCategory,
    NotificationPreferences,
    PushStatus,
)
from push.notifications.preferences import from_columns, preferences_of_many
from push.notifications.rules import PushPreferences, Verdict, decide_push, local_date, zone

MAX_PAGE = 100
MAX_MARK_READ_IDS = 500
#: What a member reads when marking notifications read is refused: the `[feed]` texts.
FEED = CATALOGUE.area("feed")
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
        # PostgreSQL: the unique (member, key) tells which are new as they are written.
        already = set() if dialect() == "postgres" else await _notified(ids, dedupe_key)
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
            if draft is not None:
                rows.append(
                    scheduled(
                        recipient,
                        draft,
                        preferences[recipient.member_id],
                        counts.get(recipient.member_id, {}),
                        dedupe_key,
                        now,
                    )
                )
        if not rows:
            return []
        if dialect() == "postgres":
            return await _write_new(rows)
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


@dataclass
class Addressee:
    """A member about to be notified, inside the caller's transaction with their row locked:
    what `scheduled` decides their pushes by, kept up to date as notifications are written
    (`notify_locked`), and their tier columns (the `holder` a credit's tier observer takes)."""

    recipient: Recipient
    erased: bool
    preferences: PushPreferences
    pushes_by_day: dict[date, int]
    tier: HeldTier
    #: Whether the member has a device registered: without one a PENDING push is skipped at
    #: delivery ("no device"), so a caller reporting whether it pushed says no.
    has_device: bool


#: The member's row locked (PostgreSQL), their preferences, their counted pushes around now
#: (one row per push, at least one) and whether they have a device: what `notify_members`
#: reads in four queries.
_ADDRESSEE = f"""
    SELECT m.display_name, m.locale, m.time_zone, m.erased_at, m.tier_code, m.tier_level,
        p.id AS preferences_id, p.push_enabled, p.categories, p.quiet_hours_start,
        p.quiet_hours_end, p.max_pushes_per_day, n.push_at,
        EXISTS (SELECT 1 FROM device d WHERE d.member_id = m.id) AS has_device
    FROM member m
    LEFT JOIN notification_preferences p ON p.member_id = m.id
    LEFT JOIN notification n ON n.member_id = m.id AND n.push_at >= $2 AND n.push_at < $3
        AND n.push_status IN ({literals(s.value for s in COUNTED_STATUSES)})
    WHERE m.id = $1
"""
#: SQLite's transactions are exclusive already; it has no row locks.
_LOCKED_ADDRESSEE = {
    "postgres": Statement(_ADDRESSEE + " FOR UPDATE OF m"),
    "sqlite": Statement(_ADDRESSEE),
}


async def lock_addressee(member_id: int, now: datetime) -> Addressee:
    """Lock the member's row until the transaction ends and read what their notifications'
    pushes are decided by (one statement). Raises NotFound for an unknown member."""
    low, high = _counted_span(now)
    rows = await _LOCKED_ADDRESSEE[dialect()].rows(member_id, low, high)
    if not rows:
        raise NotFound(f"no member {member_id}")
    first = rows[0]
    recipient = Recipient(member_id, first["display_name"], first["locale"], first["time_zone"])
    preferences = (
        from_columns(
            bool(first["push_enabled"]),
            _json(first["categories"]),
            first["quiet_hours_start"],
            first["quiet_hours_end"],
            first["max_pushes_per_day"],
        )
        if first["preferences_id"] is not None
        else PushPreferences()
    )
    pushes = [(member_id, as_datetime(r["push_at"])) for r in rows if r["push_at"] is not None]
    return Addressee(
        recipient=recipient,
        erased=first["erased_at"] is not None,
        preferences=preferences,
        pushes_by_day=_by_local_day([recipient], pushes).get(member_id, {}),
        tier=HeldTier(member_id, first["tier_code"], first["tier_level"]),
        has_device=bool(first["has_device"]),
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


#: One notification, unless the member has one with its dedupe key already (no row then).
NEW_NOTIFICATION = """
    INSERT INTO notification (member_id, category, title, body, deep_link, dedupe_key,
        created_at, push_status, push_reason, push_at, attempts, next_attempt_at, data)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)
    ON CONFLICT DO NOTHING
    RETURNING id
"""
_NEW_NOTIFICATION = Statement(NEW_NOTIFICATION)


def notification_values(row: Notification) -> list[Any]:
    """`NEW_NOTIFICATION`'s values ($1-$12) for a row built by `scheduled`."""
    return [
        row.member_id,
        row.category.value,
        row.title,
        row.body,
        row.deep_link,
        row.dedupe_key,
        row.created_at,
        row.push_status.value,
        row.push_reason,
        row.push_at,
        row.next_attempt_at,
        json.dumps(row.data, separators=(",", ":")),
    ]


def notification_for(
    addressee: Addressee, draft: Draft, dedupe_key: str, now: datetime
) -> Notification | None:
    """The notification `notify_members` would write for this one locked member (not written
    yet: `NEW_NOTIFICATION` writes it, alone or within a statement of the caller's, and
    `written` records it); None for an erased member."""
    if addressee.erased:
        return None
    return scheduled(
        addressee.recipient, draft, addressee.preferences, addressee.pushes_by_day, dedupe_key,
        now,
    )  # fmt: skip


def written(addressee: Addressee, row: Notification, notification_id: int | None) -> bool:
    """Record that `row` was written with this id (None: the dedupe key held one already):
    its push counts toward the member's day from now on. Whether it was written."""
    if notification_id is None:
        return False
    row.id = notification_id
    if row.push_status in COUNTED_STATUSES and row.push_at is not None:
        day = local_date(row.push_at, zone(addressee.recipient.time_zone))
        addressee.pushes_by_day[day] = addressee.pushes_by_day.get(day, 0) + 1
    return True


async def notify_locked(
    addressee: Addressee, draft: Draft, dedupe_key: str, now: datetime
) -> Notification | None:
    """`notify_members` for one member the caller has locked (`lock_addressee`), in one
    statement: the notification created, or None (erased member, or one with this dedupe key
    exists already)."""
    row = notification_for(addressee, draft, dedupe_key, now)
    if row is None:
        return None
    inserted = await _NEW_NOTIFICATION.rows(*notification_values(row))
    return row if written(addressee, row, int(inserted[0]["id"]) if inserted else None) else None


# The notifications of a batch of members, on PostgreSQL, member by member. A campaign's
# fan-out notifies its audience a page at a time under one new key: read with the members in an
# `IN` list and the key or a status beside them, the plan the server settles on goes by the
# key's index (it knows no rows of a new key) and reads every notification of the campaign so
# far for each page: 0.15-0.6 s a statement at 50,000 notifications, a fan-out to 100,000
# members at 574 notifications/s (`bench.push_campaign`). Written rows are told apart by the
# unique (member, key) itself (`ON CONFLICT`), and the pushes counted toward a daily cap are
# read per member, from the member's own (member_id, push_at) index.

#: `NEW_NOTIFICATION` for many rows at once: `notification_values` of each row, by column.
_NEW_NOTIFICATIONS = Statement("""
    INSERT INTO notification (member_id, category, title, body, deep_link, dedupe_key,
        created_at, push_status, push_reason, push_at, attempts, next_attempt_at, data)
    SELECT v.member_id, v.category, v.title, v.body, v.deep_link, v.dedupe_key, v.created_at,
        v.push_status, v.push_reason, v.push_at, 0, v.next_attempt_at, v.data::jsonb
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::timestamptz[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[],
            $12::text[])
        AS v(member_id, category, title, body, deep_link, dedupe_key, created_at, push_status,
            push_reason, push_at, next_attempt_at, data)
    ORDER BY v.member_id
    ON CONFLICT DO NOTHING
    RETURNING *
""")
_COUNTED_PUSHES = Statement(f"""
    SELECT i.id AS member_id, n.push_at
    FROM unnest($1::bigint[]) AS i(id) CROSS JOIN LATERAL (
        SELECT n.push_at, n.push_status FROM notification n
        WHERE n.member_id = i.id AND n.push_at >= $2 AND n.push_at < $3
        OFFSET 0
    ) n
    WHERE n.push_status IN ({literals(s.value for s in COUNTED_STATUSES)})
""")


async def _write_new(rows: Sequence[Notification]) -> list[Notification]:
    """PostgreSQL: insert the rows of members who have no notification with their key yet, in
    one statement (the unique key decides, so a concurrent writer cannot make it fail); the
    rows written, by member id, built as tortoise builds a row it read (`_init_from_db`:
    tortoise runs an INSERT for no rows)."""
    columns = [list(column) for column in zip(*map(notification_values, rows), strict=True)]
    written = [Notification._init_from_db(**r) for r in await _NEW_NOTIFICATIONS.rows(*columns)]
    return sorted(written, key=lambda n: n.member_id)


async def _notified(member_ids: Sequence[int], dedupe_key: str) -> set[int]:
    """SQLite: the members who have a notification with `dedupe_key`."""
    return set(
        await Notification.filter(member_id__in=member_ids, dedupe_key=dedupe_key).values_list(
            "member_id", flat=True
        )
    )


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
    low, high = _counted_span(now)
    if dialect() == "postgres":
        ids = [r.member_id for r in recipients]
        found = await _COUNTED_PUSHES.rows(ids, low, high)
        return _by_local_day(recipients, [(r["member_id"], r["push_at"]) for r in found])
    rows = await Notification.filter(
        member_id__in=[r.member_id for r in recipients],
        push_status__in=COUNTED_STATUSES,
        push_at__gte=low,
        push_at__lt=high,
    ).values_list("member_id", "push_at")
    return _by_local_day(recipients, rows)


def _counted_span(now: datetime) -> tuple[datetime, datetime]:
    """The pushes that may fall on a local day of `now` in any time zone (or on the next one,
    for a push held until then)."""
    return now - timedelta(days=2), now + timedelta(days=3)


def _by_local_day(
    recipients: Iterable[Recipient], pushes: Iterable[tuple[int, datetime]]
) -> dict[int, dict[date, int]]:
    zones = {r.member_id: zone(r.time_zone) for r in recipients}
    counts: dict[int, dict[date, int]] = {}
    for member_id, push_at in pushes:
        day = local_date(push_at, zones[member_id])
        per_day = counts.setdefault(member_id, {})
        per_day[day] = per_day.get(day, 0) + 1
    return counts


def scheduled(
    recipient: Recipient,
    draft: Draft,
    preferences: PushPreferences,
    pushes_by_day: dict[date, int],
    dedupe_key: str,
    now: datetime,
) -> Notification:
    """The notification row for `draft` (not written yet), its push PENDING, HELD or SKIPPED
    by `push.notifications.rules.decide_push` given the member's preferences and the pushes
    already counted per local day."""
    decision = decide_push(
        preferences, draft.category, now, zone(recipient.time_zone), pushes_by_day
    )
    status = {
        Verdict.PUSH: PushStatus.PENDING,
        Verdict.HOLD: PushStatus.HELD,
        Verdict.SKIP: PushStatus.SKIPPED,
    }[decision.verdict]
    return Notification(
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
    member_id: int,
    notification_ids: Sequence[int] | None,
    now: datetime,
    *,
    locale: str | None = None,
) -> int:
    """Mark the given notifications of the member read (all of them when None) and return
    how many stay unread. Marking one already read changes nothing.

    Raises InvalidInput beyond 500 ids, NotFound (naming the first id at fault) when an id is
    not one of the member's notifications, in the language of `locale` (the member's);
    nothing changes then.
    """
    async with in_transaction():
        query = Notification.filter(member_id=member_id, read_at__isnull=True)
        if notification_ids is not None:
            if len(notification_ids) > MAX_MARK_READ_IDS:
                raise InvalidInput(
                    FEED.text(locale, "too_many_ids", limit=MAX_MARK_READ_IDS), ["input", "ids"]
                )
            wanted = set(notification_ids)
            found = set(
                await Notification.filter(member_id=member_id, id__in=list(wanted)).values_list(
                    "id", flat=True
                )
            )
            for i, notification_id in enumerate(notification_ids):
                if notification_id not in found:
                    raise NotFound(
                        # The id as a word: the number is not grouped as amounts are ("1,234").
                        FEED.text(locale, "not_yours", id=str(notification_id)),
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
