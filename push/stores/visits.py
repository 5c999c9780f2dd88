"""Members coming by stores: geofence transitions and locations that trigger promotions.

The app either monitors the nearest fences itself and reports a transition
(`report_geofence_event`), or reports where it is and the server finds the fences around it
(`report_location`, through the geofence index). Both end in `_visit`: the promotions active
for that store, time, transition and the member's segment fire, each at most once per member
per cooldown, giving bonus points and/or a coupon and a push; an ENTER (or DWELL) is also a
STORE_VISIT activity for the rules engine, counted once per store and local day.

What a report costs: one shared read of the configuration versions (stores and promotions
are kept per process, `push.stores.catalogue`), one GEOSEARCH for a location, and, where
promotions are in force, one read of the member's recent triggers. Only a promotion that is
due (or an engine rule on store visits) opens a transaction; firing one locks the member
(reading with the lock what the push is decided by: `push.notifications.lock_addressee`),
re-checks the cooldown as it writes the trigger with the points and their event, then writes
the notification with the trigger's record of it: five statements in all on PostgreSQL, eight
on SQLite, which writes each row on its own.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.activity import Activity, ActivityObserver
from domain.errors import DomainError, InputErrors, InvalidInput, NotEligible, NotFound
from domain.members.models import Member
from domain.members.services import WithMember
from domain.messages import CATALOGUE
from domain.points.crediting import credit_earned, expiry_of
from domain.points.events import PointsEarned
from domain.points.models import EntryKind
from domain.program import Program, ProgramCache
from domain.sql import Statement, dialect, for_ids, placeholders
from domain.tiers.services import upgrade_on_credit
from domain.versions import ConfigPart, VersionReader, Versions
from push.live import NotificationPublisher
from push.notifications.models import Notification, NotificationCategory, PushStatus
from push.notifications.rules import local_date, zone
from push.notifications.services import (
    NEW_NOTIFICATION,
    Addressee,
    Draft,
    lock_addressee,
    notification_for,
    notification_values,
    notify_locked,
    written,
)
from push.ports import CouponIssuer, SegmentDirectory
from push.stores.catalogue import Fence, VisitCatalogue
from push.stores.geoindex import FenceHit, GeofenceIndex
from push.stores.models import GeofenceTransition, Promotion, PromotionTrigger, Store
from push.stores.services import cooldown_window_start
from push.validation import check_aware, check_latitude, check_longitude

#: What a member reads when a visit is refused, in their language: the `[visits]` texts.
TEXTS = CATALOGUE.area("visits")

#: How old a reported transition may be (a phone that was offline), and how far ahead.
MAX_REPORT_AGE = timedelta(hours=6)
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: A location vaguer than this matches no fence.
MAX_USEFUL_ACCURACY_M = 1_000.0
#: How far outside its fence a device may say it entered (GPS and OS region lag).
MIN_ENTER_SLACK_M = 500.0
#: How old (seconds) the versions may be that tell a report outside every small fence whether
#: a large fence (kept in process) holds it: most reports are outside every fence, and they
#: then cost no statement. A large fence added or moved by any process counts within this
#: time; whatever lies inside a fence is decided on the configuration as of the report.
LARGE_FENCES_MAX_AGE = 1.0


@dataclass(frozen=True)
class VisitServices:
    """What visits need from the rest of the app (wired once, passed to each call)."""

    index: GeofenceIndex
    observer: ActivityObserver
    segments: SegmentDirectory
    coupons: CouponIssuer
    publisher: NotificationPublisher
    #: The configuration versions, read once per report (the runtime's, shared).
    versions: VersionReader = field(default_factory=VersionReader)
    #: Stores and promotions kept by this process.
    catalogue: VisitCatalogue = field(default_factory=VisitCatalogue.empty)
    #: The earning rules and tier ladder bonus points are credited with, kept by this
    #: process (the runtime's, shared with the purchase path).
    program: ProgramCache = field(default_factory=ProgramCache)


@dataclass(frozen=True)
class TriggeredPromotion:
    promotion: Promotion
    store: Store
    bonus_points: int
    coupon_code: str | None
    #: Whether the push went out now (quiet hours, caps and preferences may hold it back).
    pushed: bool
    notification_id: int | None


async def report_geofence_event(
    member: Member,
    geofence_id: int,
    transition: GeofenceTransition | str,
    now: datetime,
    services: VisitServices,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    occurred_at: datetime | None = None,
) -> list[TriggeredPromotion]:
    """The device saw the member cross a store's geofence: fire the promotions due.

    Raises NotFound for an unknown geofence, InvalidInput for a bad transition, a bad or
    half-given position, or a time more than 6 hours old or in the future, and NotEligible
    when an ENTER or DWELL comes with a position far outside the fence, in the member's
    language.
    """
    locale = member.locale
    problems = InputErrors()
    try:
        kind = GeofenceTransition(transition)
    except ValueError:
        message = TEXTS.text(locale, "not_a_transition", transition=transition)
        problems.add(InvalidInput(message, ["input", "transition"]))
    if (latitude is None) != (longitude is None):
        problems.add(InvalidInput(TEXTS.text(locale, "both_coordinates"), ["input", "latitude"]))
    for value, check, name in (
        (latitude, check_latitude, "latitude"),
        (longitude, check_longitude, "longitude"),
    ):
        if value is not None:
            problems.check(check, value, ["input", name], locale)
    at = now
    if occurred_at is not None:
        checked = problems.check(check_aware, occurred_at, ["input", "occurredAt"], locale)
        if checked is not None:
            if checked > now + MAX_CLOCK_SKEW:
                problems.add(
                    InvalidInput(TEXTS.text(locale, "in_the_future"), ["input", "occurredAt"])
                )
            elif checked < now - MAX_REPORT_AGE:
                problems.add(InvalidInput(TEXTS.text(locale, "too_old"), ["input", "occurredAt"]))
            at = min(checked, now)
    problems.raise_any()
    versions = await services.versions.read()
    store = (await services.catalogue.stores.by_id([geofence_id], versions)).get(geofence_id)
    if store is None:
        # The id as a word: the number is not grouped as amounts are ("1,234").
        message = TEXTS.text(locale, "unknown_geofence", id=str(geofence_id))
        raise NotFound(message, ["input", "geofenceId"])
    if latitude is not None and longitude is not None and kind is not GeofenceTransition.EXIT:
        away = store.distance_m(latitude, longitude)
        if away > store.geofence_radius_m + max(store.geofence_radius_m, MIN_ENTER_SLACK_M):
            raise NotEligible(TEXTS.text(locale, "far_from_fence"), ["input", "latitude"])
    return await _visit(member, [store], kind, at, now, services, versions)


#: The member read with their recent triggers of some promotions around a moment (as
#: `recent_triggers` reads them) and the configuration's versions as of now, in one statement
#: when it can (`member_with_recent`).
MemberWithRecent = Callable[
    [Sequence[Promotion], datetime],
    Awaitable[tuple[Member, dict[int, list[datetime]], Versions]],
]


async def report_location(
    member: Member | MemberWithRecent,
    latitude: float,
    longitude: float,
    accuracy_m: float | None,
    now: datetime,
    services: VisitServices,
) -> list[TriggeredPromotion]:
    """The app reports where the member is: every fence holding the point counts as entered.

    A constant number of Redis and database calls, however many fences exist: outside every
    fence, one GEOSEARCH and, at most once a second per process, the versions
    (`LARGE_FENCES_MAX_AGE`). A location vaguer than 1 km matches nothing. Raises InvalidInput
    for bad coordinates or accuracy, in the member's language.
    `member` may be a way to read the member with their recent triggers, asked only when a
    fence holds the point: a report outside every fence (the common case) then reads no
    member, and one inside reads the member and their triggers together.
    """
    if _location_problems(latitude, longitude, accuracy_m, None).errors:
        # Rare: a member yet to be read is read for the language of the messages alone.
        locale = (member if isinstance(member, Member) else (await member([], now))[0]).locale
        _location_problems(latitude, longitude, accuracy_m, locale).raise_any()
    if accuracy_m is not None and accuracy_m > MAX_USEFUL_ACCURACY_M:
        return []
    recent, hits = await asyncio.gather(
        services.versions.read(LARGE_FENCES_MAX_AGE),
        services.index.containing(latitude, longitude),
    )
    if not hits and not (await services.catalogue.stores.large(recent)).containing(
        latitude, longitude
    ):
        return []  # outside every fence (the small ones as Redis has them now)

    async def holding(versions: Versions) -> list[Fence]:
        return await _holding(latitude, longitude, hits, services, versions)

    # A fence may hold the point: what fires is decided on the configuration as of now. A
    # member yet to be read is read with the versions as of now (and their recent triggers),
    # in one statement: until then, the versions read lately say which promotions to ask for
    # (`_visit` starts over from the stores if those versions moved).
    versions = recent if not isinstance(member, Member) else await services.versions.read()
    inside = await holding(versions)
    if not inside and hits and versions is recent:
        # an index hit that the stores as read lately do not place here (one moved meanwhile?)
        versions = await services.versions.read()
        inside = await holding(versions)
    if not inside:
        return []
    return await _visit(
        member, inside, GeofenceTransition.ENTER, now, now, services, versions, holding
    )


def _location_problems(
    latitude: float, longitude: float, accuracy_m: float | None, locale: str | None
) -> InputErrors:
    problems = InputErrors()
    problems.check(check_latitude, latitude, ["input", "latitude"], locale)
    problems.check(check_longitude, longitude, ["input", "longitude"], locale)
    if accuracy_m is not None and not (math.isfinite(accuracy_m) and accuracy_m >= 0):
        problems.add(InvalidInput(TEXTS.text(locale, "accuracy"), ["input", "accuracyMeters"]))
    return problems


async def fences_containing(
    latitude: float, longitude: float, services: VisitServices
) -> list[Fence]:
    """The stores whose fence holds the point, nearest first (as `report_location` finds
    them: one GEOSEARCH for the small fences, the large ones in process)."""
    versions, hits = await asyncio.gather(
        services.versions.read(), services.index.containing(latitude, longitude)
    )
    return await _holding(latitude, longitude, hits, services, versions)


async def _holding(
    latitude: float,
    longitude: float,
    hits: Sequence[FenceHit],
    services: VisitServices,
    versions: Versions,
) -> list[Fence]:
    stores = services.catalogue.stores
    inside = (await stores.large(versions)).containing(latitude, longitude)
    if hits:
        found = await stores.by_id([h.store_id for h in hits], versions)
        # The stores as of the versions read have the last word over a possibly stale index.
        inside.extend(
            found[h.store_id]
            for h in hits
            if h.store_id in found and found[h.store_id].holds(latitude, longitude)
        )
    inside.sort(key=lambda s: (s.distance_m(latitude, longitude), s.id))
    return inside


async def _visit(
    member: Member | MemberWithRecent,
    stores: Sequence[Fence],
    transition: GeofenceTransition,
    at: datetime,
    now: datetime,
    services: VisitServices,
    versions: Versions,
    holding: Callable[[Versions], Awaitable[list[Fence]]] | None = None,
) -> list[TriggeredPromotion]:
    """`stores` nearest first; `at` is when it happened, `now` when we learn of it. `member`
    may be a way to read them with their recent triggers (of every candidate promotion, a
    superset of the eligible ones) and the versions as of now: `stores` and the candidates
    are then as of `versions` read lately, and are worked out again (the stores by `holding`)
    when the versions as of now differ for stores or promotions."""
    if not stores or (isinstance(member, Member) and member.erased_at is not None):
        return []
    candidates = await _candidates(transition, at, services, versions)
    # Read without a lock: a trigger found is committed, so skipping its promotion is right
    # whatever happens meanwhile; the ones that look due are checked again under the lock.
    recent: dict[int, list[datetime]] | None = None
    if not isinstance(member, Member):
        member, recent, current = await member(candidates, at)
        if member.erased_at is not None:
            return []
        if any(versions.get(part, 0) != current.get(part, 0) for part in _FENCE_PARTS):
            if holding is not None:
                stores = await holding(current)
                if not stores:
                    return []
            candidates = await _candidates(transition, at, services, current)
            recent = None  # read again below, for the promotions as they are now
        versions = current
    eligible = (
        await _eligible(member, candidates, stores, at, now, services.segments)
        if candidates
        else []
    )
    if recent is None:
        recent = await recent_triggers(member.id, [p for p, _ in eligible], at)
    due = [(p, s) for p, s in eligible if not _cooling_down(p, recent.get(p.id, []), at)]
    visiting = transition is not GeofenceTransition.EXIT and await services.observer.watches(
        "STORE_VISIT", now, versions=versions
    )
    if not due and not visiting:
        return []
    triggered: list[TriggeredPromotion] = []
    notifications: list[Notification] = []
    async with in_transaction():
        if due:
            # The lock serialises the cooldown check per member; the statement that takes it
            # reads what the promotions' notifications are decided by and the member's tier.
            addressee = await lock_addressee(member.id, now)
            program = await services.program.current(versions)
            for promotion, store in due:
                outcome = await _fire(
                    addressee, promotion, store, transition, at, now, services, program
                )
                if outcome is not None:
                    triggered.append(outcome[0])
                    notifications.extend(outcome[1])
        if visiting:
            day = local_date(at, zone(member.time_zone)).isoformat()
            for store in stores:
                await services.observer.observe(
                    Activity(
                        member_id=member.id,
                        kind="STORE_VISIT",
                        occurred_at=at,
                        reference=f"store-visit:{store.code}:{day}",
                        store_code=store.code,
                    ),
                    now,
                    versions=versions,
                )
    await services.publisher.publish(notifications)
    return triggered


#: The parts of the configuration a visit's stores and promotions come from.
_FENCE_PARTS = (ConfigPart.STORES.value, ConfigPart.PROMOTIONS.value)


async def _candidates(
    transition: GeofenceTransition, at: datetime, services: VisitServices, versions: Versions
) -> list[Promotion]:
    """The promotions running at `at` for this transition, as of `versions`."""
    return [
        p
        for p in await services.catalogue.promotions.all(versions)
        if p.starts_at <= at < p.ends_at and transition.value in p.transitions
    ]


async def _eligible(
    member: Member,
    promotions: Sequence[Promotion],
    stores: Sequence[Fence],
    at: datetime,
    now: datetime,
    segments: SegmentDirectory,
) -> list[tuple[Promotion, Fence]]:
    """Each promotion valid at one of the stores (the nearest), for the member's segment."""
    in_segment: dict[str, bool] = {}
    chosen: list[tuple[Promotion, Fence]] = []
    for promotion in promotions:
        store = next(
            (s for s in stores if not promotion.store_codes or s.code in promotion.store_codes),
            None,
        )
        if store is None:
            continue
        if promotion.segment_code:
            code = promotion.segment_code
            if code not in in_segment:
                try:
                    in_segment[code] = await segments.contains(code, member.id, now)
                except NotFound:
                    in_segment[code] = False  # a segment deleted since: nobody is in it
            if not in_segment[code]:
                continue
        chosen.append((promotion, store))
    return chosen


_RECENT = """
    SELECT promotion_id, triggered_at FROM promotion_trigger
    WHERE member_id = $1 AND triggered_at > $2 AND triggered_at < $3
        AND promotion_id IN ({ids})
"""


async def recent_triggers(
    member_id: int, promotions: Sequence[Promotion], at: datetime
) -> dict[int, list[datetime]]:
    """When the member got each of these promotions within the longest of their cooldowns
    of `at`, before or after (one statement)."""
    if not promotions:
        return {}
    ids = [p.id for p in promotions]
    rows = await for_ids(_RECENT, len(ids)).rows(member_id, *_around(promotions, at), *ids)
    return _by_promotion(rows)


async def member_with_recent(
    customer_id: str, promotions: Sequence[Promotion], at: datetime
) -> tuple[Member, tuple[dict[int, list[datetime]], Versions]] | None:
    """The member of `customer_id`, `recent_triggers` of theirs and the configuration's
    versions (as `read_versions` answers), in one statement; None when no member has that
    customer id (not created yet, or erased)."""
    if not promotions:
        found = await _WITH_NONE.read_with_versions(customer_id)
        return None if found is None else (found[0], ({}, found[2]))
    found = await _with_recent(len(promotions)).read_with_versions(
        customer_id, *_around(promotions, at), *(p.id for p in promotions)
    )
    return None if found is None else (found[0], (_by_promotion(found[1]), found[2]))


@functools.cache
def _with_recent(count: int) -> WithMember:
    return WithMember(
        _RECENT.format(ids=placeholders(count, start=4)),
        ("promotion_id", "triggered_at"),
        versions=True,
    )


#: The member and the versions alone (no promotion to ask about).
_WITH_NONE = WithMember(
    "SELECT promotion_id, triggered_at FROM promotion_trigger WHERE 1 = 0",
    ("promotion_id", "triggered_at"),
    versions=True,
)


def _around(promotions: Sequence[Promotion], at: datetime) -> tuple[datetime, datetime]:
    longest = timedelta(hours=max(p.cooldown_hours for p in promotions))
    return at - longest, at + longest


def _by_promotion(rows: Sequence[dict[str, Any]]) -> dict[int, list[datetime]]:
    recent: dict[int, list[datetime]] = {}
    for row in rows:
        recent.setdefault(int(row["promotion_id"]), []).append(_aware(row["triggered_at"]))
    return recent


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite hands raw timestamps back as text
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


#: Under the member's lock: the trigger, unless one of the same promotion lies within a
#: cooldown of it (before or after) or holds its window (the unique key, the last guard).
_TRIGGER = """
    INSERT INTO promotion_trigger
        (promotion_id, member_id, store_id, window_start, triggered_at, transition,
         bonus_points)
    SELECT $1, $2, $3, $4, $5, $6, $7
    WHERE NOT EXISTS (
        SELECT 1 FROM promotion_trigger
        WHERE member_id = $2 AND promotion_id = $1 AND triggered_at > $8 AND triggered_at < $9
    )
    ON CONFLICT DO NOTHING
    RETURNING id
"""
_TRIGGER_ALONE = Statement(_TRIGGER)

#: PostgreSQL: the trigger and, when it was written, its bonus points (a BONUS credit as
#: `credit_earned` writes it, the reference naming the trigger) and their PointsEarned event, in
#: one statement (data-modifying CTEs, as a purchase is written). The event's payload comes from
#: the event itself, with the entry's id and reference set in SQL.
_TRIGGER_AND_CREDIT = Statement(f"""
    WITH trigger_row AS ({_TRIGGER}
    ), credit AS (
        INSERT INTO points_entry (member_id, kind, delta, remaining, shortfall, description,
            created_at, available_at, expires_at, reference)
        SELECT $2, 'BONUS', $7, $7, 0, $10, $11, $11, $12, $13 || trigger_row.id::text
        FROM trigger_row WHERE $7 > 0
        RETURNING id, reference
    ), earned AS (
        INSERT INTO outbox_event (kind, payload, created_at, available_at, attempts)
        SELECT 'PointsEarned',
            $14::jsonb || jsonb_build_object('entry_id', credit.id, 'reference', credit.reference),
            $11, $11, 0
        FROM credit
    )
    SELECT id FROM trigger_row
""")

#: What the trigger gave besides points ($1 the coupon, $2 the notification), once known.
_TRIGGER_GAVE = Statement(
    "UPDATE promotion_trigger SET coupon_code = $1, notification_id = $2 WHERE id = $3"
)

#: PostgreSQL: the notification (`NEW_NOTIFICATION`, $1-$12) and the trigger's record of it and
#: of the coupon ($13), in one statement.
_NOTIFICATION_AND_TRIGGER_GAVE = Statement(f"""
    WITH note AS ({NEW_NOTIFICATION})
    UPDATE promotion_trigger SET coupon_code = $13, notification_id = (SELECT id FROM note)
    WHERE id = $14
    RETURNING notification_id
""")


def _cooling_down(promotion: Promotion, triggered: Sequence[datetime], at: datetime) -> bool:
    """Within one cooldown of another trigger, before or after (reports arrive out of order)."""
    cooldown = timedelta(hours=promotion.cooldown_hours)
    return any(abs(at - previous) < cooldown for previous in triggered)


async def _fire(
    addressee: Addressee,
    promotion: Promotion,
    store: Fence,
    transition: GeofenceTransition,
    at: datetime,
    now: datetime,
    services: VisitServices,
    program: Program,
) -> tuple[TriggeredPromotion, list[Notification]] | None:
    """Give the promotion, inside the caller's transaction with the member locked: the
    trigger unless the cooldown forbids it (None then), the bonus points, the coupon, the
    notification, then the trigger's record of what was given."""
    member_id = addressee.recipient.member_id
    trigger_id = await _trigger_and_credit(addressee, promotion, store, transition, at, now,
                                           program)  # fmt: skip
    if trigger_id is None:
        return None
    reference = f"promotion:{promotion.code}:{trigger_id}"
    coupon_code: str | None = None
    if promotion.reward_code:
        try:
            async with in_transaction():
                coupon_code = await services.coupons.issue(
                    member_id, promotion.reward_code, reference, now
                )
        except DomainError:
            coupon_code = None  # out of stock, reward withdrawn: the rest still stands
    data = {"promotion_id": str(promotion.id), "store_code": store.code}
    if coupon_code:
        data["coupon_code"] = coupon_code
    draft = Draft(
        category=NotificationCategory.PROMOTION,
        title=promotion.title,
        body=promotion.message,
        deep_link=f"fidelio://promotions/{promotion.id}",
        data=data,
    )
    notification = await _notify_and_record(
        addressee, draft, f"promotion:{trigger_id}", trigger_id, coupon_code, now
    )
    return (
        TriggeredPromotion(
            promotion=promotion,
            store=store.as_store(),
            bonus_points=promotion.bonus_points,
            coupon_code=coupon_code,
            pushed=notification is not None
            and notification.push_status is PushStatus.PENDING
            and addressee.has_device,
            notification_id=notification.id if notification else None,
        ),
        [notification] if notification else [],
    )


async def _trigger_and_credit(
    addressee: Addressee,
    promotion: Promotion,
    store: Fence,
    transition: GeofenceTransition,
    at: datetime,
    now: datetime,
    program: Program,
) -> int | None:
    """The trigger's id, unless the cooldown forbids it (None), and its bonus points credited
    as `credit_earned` credits them (the entry, PointsEarned, the tier observer): one statement
    and the observer's reads on PostgreSQL, one per row on SQLite (no data-modifying CTEs)."""
    member_id = addressee.recipient.member_id
    cooldown = timedelta(hours=promotion.cooldown_hours)
    trigger = (
        promotion.id,
        member_id,
        store.id,
        cooldown_window_start(at, promotion.cooldown_hours),
        at,
        transition.value,
        promotion.bonus_points,
        at - cooldown,
        at + cooldown,
    )
    description = f"Promotion: {promotion.title}"
    if dialect() != "postgres":
        inserted = await _TRIGGER_ALONE.rows(*trigger)
        if not inserted:
            return None
        trigger_id = int(inserted[0]["id"])
        if promotion.bonus_points > 0:
            await credit_earned(
                member_id,
                promotion.bonus_points,
                EntryKind.BONUS,
                description,
                now,
                program,
                reference=f"promotion:{promotion.code}:{trigger_id}",
                holder=addressee.tier,
            )
        return trigger_id
    earned = PointsEarned(
        member_id=member_id,
        entry_id=0,
        points=promotion.bonus_points,
        entry_kind=EntryKind.BONUS.value,
        reference=None,
        available_at=now,
        created_at=now,
    )
    inserted = await _TRIGGER_AND_CREDIT.rows(
        *trigger,
        description[:200],
        now,
        expiry_of(program, now),
        f"promotion:{promotion.code}:",
        json.dumps(earned.to_payload()),
    )
    if not inserted:
        return None
    if promotion.bonus_points > 0:
        # The tier observer of every credit (see domain.points.crediting), on the locked row.
        await upgrade_on_credit(
            member_id,
            now,
            window_months=program.rules.tier_window_months,
            ladder=program.ladder,
            holder=addressee.tier,
        )
    return int(inserted[0]["id"])


async def _notify_and_record(
    addressee: Addressee,
    draft: Draft,
    dedupe_key: str,
    trigger_id: int,
    coupon_code: str | None,
    now: datetime,
) -> Notification | None:
    """The trigger's notification (as `notify_members` writes it, for the locked member) and
    the trigger's record of it and of the coupon: one statement on PostgreSQL, two on SQLite."""
    if dialect() == "postgres":
        row = notification_for(addressee, draft, dedupe_key, now)
        if row is not None:
            updated = await _NOTIFICATION_AND_TRIGGER_GAVE.rows(
                *notification_values(row), coupon_code, trigger_id
            )
            notification_id = updated[0]["notification_id"] if updated else None
            return row if written(addressee, row, notification_id) else None
        notification = None
    else:
        notification = await notify_locked(addressee, draft, dedupe_key, now)
    if coupon_code is not None or notification is not None:
        await _TRIGGER_GAVE.execute(
            coupon_code, notification.id if notification else None, trigger_id
        )
    return notification


async def erase_member_visits(member_id: int) -> int:
    """Forget which promotions the member got where (part of erasing their account)."""
    return await PromotionTrigger.filter(member_id=member_id).delete()
