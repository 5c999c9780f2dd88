"""Stores, geofences and promotions: reported transitions and locations, cooldowns, rewards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.activity import Activity, Awards, NoAchievements
from domain.errors import NotEligible, NotFound, OutOfStock, ValidationErrors
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.events import PointsEarned
from domain.points.models import EntryKind, PointsEntry
from domain.sql import dialect
from domain.versions import VersionReader
from push.demo import seed_stores_and_promotions
from push.live import NoLiveFeed
from push.notifications.models import Notification, NotificationCategory, PushStatus
from push.notifications.preferences import PreferenceChanges, update_notification_preferences
from push.notifications.services import Draft, notify_members
from push.ports import NoCoupons, NoSegments
from push.stores.geoindex import GeofenceIndex
from push.stores.models import Promotion, PromotionTrigger, Store
from push.stores.services import (
    PromotionInput,
    StoreInput,
    nearby_geofences,
    upsert_promotion,
    upsert_store,
)
from push.stores.visits import (
    LARGE_FENCES_MAX_AGE,
    VisitServices,
    fences_containing,
    report_geofence_event,
    report_location,
)
from tests.integration.points_factories import set_tiers
from tests.integration.push_support import member
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SOL = (40.41690, -3.70350)  # Puerta del Sol, Madrid
GRAN_VIA = (40.42000, -3.70580)  # ~400 m from Sol
CATALUNYA = (41.38700, 2.17010)  # Plaça de Catalunya, Barcelona


class RecordingObserver:
    def __init__(self) -> None:
        self.activities: list[Activity] = []

    async def observe(self, activity: Activity, now: datetime, **_: object) -> Awards:
        self.activities.append(activity)
        return Awards()

    async def watches(self, kind: str, now: datetime, **_: object) -> bool:
        return True


class Coupons:
    def __init__(self, stock: int = 100) -> None:
        self.stock = stock
        self.issued: list[tuple[int, str, str]] = []

    async def reward_exists(self, reward_code: str) -> bool:
        return reward_code == "free-coffee"

    async def issue(self, member_id: int, reward_code: str, reference: str, now: datetime) -> str:
        if self.stock == 0:
            raise OutOfStock("no coupons left")
        self.stock -= 1
        self.issued.append((member_id, reward_code, reference))
        return f"COFFEE{len(self.issued):04d}"


class Vip:
    def __init__(self, *member_ids: int) -> None:
        self.member_ids = set(member_ids)

    async def exists(self, code: str) -> bool:
        return code == "vip"

    async def contains(self, code: str, member_id: int, now: datetime) -> bool:
        return member_id in self.member_ids

    async def members_after(self, code: str, after: int, limit: int, now: datetime) -> list[int]:
        return sorted(m for m in self.member_ids if m > after)[:limit]


@pytest.fixture
def index(redis_client: Any, redis_prefix: str) -> GeofenceIndex:
    return GeofenceIndex(redis_client, redis_prefix)


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()


@pytest.fixture
def coupons() -> Coupons:
    return Coupons()


@pytest.fixture
def services(index: GeofenceIndex, observer: RecordingObserver, coupons: Coupons) -> VisitServices:
    return VisitServices(index, observer, NoSegments(), coupons, NoLiveFeed())


async def store(index: GeofenceIndex, code: str, at: tuple[float, float], radius: float) -> Store:
    return await upsert_store(
        StoreInput(code=code, name=code.title(), latitude=at[0], longitude=at[1],
                   geofence_radius_m=radius),
        NOW,
        index,
    )  # fmt: skip


async def promotion(**overrides: Any) -> Promotion:
    values: dict[str, Any] = {
        "code": "coffee-hour",
        "title": "Coffee on us",
        "message": "Show this at the till for 100 bonus points.",
        "starts_at": NOW - timedelta(days=1),
        "ends_at": NOW + timedelta(days=30),
        "bonus_points": 100,
    }
    values.update(overrides)
    return await upsert_promotion(PromotionInput(**values), NOW, Vip(), Coupons())


async def a_member(name: str = "ana", **kwargs: Any) -> Member:
    return await member(name, NOW, **kwargs)


# ---------------------------------------------------------------- stores and the index


async def test_a_store_with_bad_coordinates_or_radius_is_refused_and_nothing_is_saved(
    index: GeofenceIndex,
) -> None:
    with pytest.raises(ValidationErrors) as raised:
        await upsert_store(
            StoreInput(code="sol", name="Sol", latitude=91, longitude=float("nan"),
                       geofence_radius_m=20),
            NOW,
            index,
        )  # fmt: skip

    assert [(e.code, e.field) for e in raised.value.errors] == [
        ("INVALID_INPUT", ["input", "latitude"]),
        ("INVALID_INPUT", ["input", "longitude"]),
        ("INVALID_INPUT", ["input", "geofenceRadiusMeters"]),
    ]
    assert await Store.all().count() == 0
    assert await index.containing(*SOL) == []


async def test_the_radius_must_stay_within_50_metres_and_50_kilometres(
    index: GeofenceIndex,
) -> None:
    for radius in (49.9, 50_000.1):
        with pytest.raises(ValidationErrors):
            await store(index, "sol", SOL, radius)
    await store(index, "small", SOL, 50)
    await store(index, "large", CATALUNYA, 50_000)
    assert await Store.all().count() == 2


async def test_upserting_a_store_again_moves_its_fence(
    index: GeofenceIndex, services: VisitServices
) -> None:
    first = await store(index, "sol", SOL, 200)
    assert [f.id for f in await fences_containing(*SOL, services)] == [first.id]
    moved = await store(index, "sol", CATALUNYA, 3_000)  # and now a large fence

    assert moved.id == first.id
    assert await Store.all().count() == 1
    assert await index.containing(*SOL) == []
    assert await index.containing(*CATALUNYA) == []  # large fences are not searched in Redis
    assert await fences_containing(*SOL, services) == []
    [hit] = await fences_containing(*CATALUNYA, services)
    assert hit.id == first.id


async def test_the_fences_holding_a_point_are_found_by_each_fences_own_radius(
    index: GeofenceIndex, services: VisitServices
) -> None:
    sol = await store(index, "sol", SOL, 100)
    wide = await store(index, "madrid-centre", SOL, 2_000)
    await store(index, "bcn", CATALUNYA, 500)

    at_gran_via = await fences_containing(*GRAN_VIA, services)  # ~400 m away: outside "sol"
    at_sol = await fences_containing(*SOL, services)

    assert [f.id for f in at_gran_via] == [wide.id]
    assert [f.id for f in at_sol] == [sol.id, wide.id]


async def test_a_store_change_is_seen_at_once_by_every_process(
    index: GeofenceIndex, observer: RecordingObserver, coupons: Coupons
) -> None:
    """Two processes: each keeps its own stores and promotions, checked by version."""
    one, other = (
        VisitServices(index, observer, NoSegments(), coupons, NoLiveFeed()) for _ in range(2)
    )
    await store(index, "mall", SOL, 2_000)
    await promotion(code="welcome", store_codes=["mall"])
    ana, bea = await a_member("ana"), await a_member("bea")
    assert [f.code for f in await fences_containing(*GRAN_VIA, one)] == ["mall"]
    assert [f.code for f in await fences_containing(*GRAN_VIA, other)] == ["mall"]

    await store(index, "mall", SOL, 300)  # shrinks: Gran Vía (~400 m) is outside now
    await promotion(code="welcome", store_codes=["mall"], title="Welcome again")

    assert await fences_containing(*GRAN_VIA, one) == []
    assert await fences_containing(*GRAN_VIA, other) == []
    [got] = await report_location(ana, *SOL, 10, NOW, one)
    [also] = await report_location(bea, *SOL, 10, NOW, other)
    assert got.promotion.title == also.promotion.title == "Welcome again"


async def test_the_nearest_geofences_come_nearest_first_even_far_away(
    index: GeofenceIndex,
) -> None:
    sol = await store(index, "sol", SOL, 100)
    gran_via = await store(index, "gran-via", GRAN_VIA, 100)
    bcn = await store(index, "bcn", CATALUNYA, 100)

    near_sol = await nearby_geofences(*SOL, index)
    # Valencia is ~302.6 km from Sol, ~302.9 km from Gran Vía and ~303.2 km from Barcelona.
    from_valencia = await nearby_geofences(39.4699, -0.3763, index, limit=2)

    assert [g.store.id for g in near_sol] == [sol.id, gran_via.id, bcn.id]
    assert near_sol[0].distance_m == pytest.approx(0, abs=1)
    assert [g.store.id for g in from_valencia] == [sol.id, gran_via.id]


async def test_a_nearby_limit_beyond_100_is_refused(index: GeofenceIndex) -> None:
    with pytest.raises(ValidationErrors) as raised:
        await nearby_geofences(*SOL, index, limit=101)
    assert [e.field for e in raised.value.errors] == [["limit"]]


async def test_a_lost_index_is_rebuilt_from_the_database(
    index: GeofenceIndex, redis_client: Any, redis_prefix: str
) -> None:
    sol = await store(index, "sol", SOL, 100)
    keys = [k async for k in redis_client.scan_iter(match=f"{redis_prefix}*")]
    await redis_client.delete(*keys)  # Redis restarted empty

    [hit] = await index.containing(*SOL)

    assert hit.store_id == sol.id
    assert await index.rebuild() == 1
    assert len([k async for k in redis_client.scan_iter(match=f"{redis_prefix}*")]) == 3


# ---------------------------------------------------------------- promotions


async def test_a_promotion_refers_to_stores_segments_and_rewards_that_exist() -> None:
    with pytest.raises(ValidationErrors) as raised:
        await upsert_promotion(
            PromotionInput(
                code="coffee-hour",
                title="Coffee",
                message="Free coffee",
                starts_at=NOW,
                ends_at=NOW - timedelta(hours=1),
                store_codes=["nowhere"],
                segment_code="nobody",
                reward_code="gold-bar",
                cooldown_hours=0,
                transitions=["ENTER", "LEAVE"],
            ),
            NOW,
            Vip(),
            Coupons(),
        )

    assert [(e.code, e.field) for e in raised.value.errors] == [
        ("INVALID_INPUT", ["input", "endsAt"]),
        ("INVALID_INPUT", ["input", "cooldownHours"]),
        ("INVALID_INPUT", ["input", "transitions", "1"]),
        ("NOT_FOUND", ["input", "storeCodes", "0"]),
        ("NOT_FOUND", ["input", "segmentCode"]),
        ("NOT_FOUND", ["input", "rewardCode"]),
    ]
    assert await Promotion.all().count() == 0


async def test_upserting_a_promotion_twice_keeps_one_with_the_latest_values() -> None:
    first = await promotion()
    second = await promotion(bonus_points=150)

    assert second.id == first.id
    assert (await Promotion.get(id=first.id)).bonus_points == 150


async def test_a_member_without_a_device_gets_the_promotion_in_the_feed_but_is_not_pushed(
    index: GeofenceIndex, services: VisitServices
) -> None:
    """`pushed` says whether a push goes out: with no device registered, delivery would skip
    it ("no device"), so the answer is no, while the feed still gets the notification."""
    await store(index, "sol", SOL, 150)
    await promotion(store_codes=["sol"])
    ana = await a_member(devices=0)

    [triggered] = await report_location(ana, *SOL, 10, NOW, services)

    assert triggered.pushed is False
    [notification] = await Notification.filter(member_id=ana.id)
    assert triggered.notification_id == notification.id
    assert (await ledger.summary(ana.id, NOW)).balance == 100


async def test_walking_into_a_store_gives_the_promotion_a_push_and_a_store_visit(
    index: GeofenceIndex, services: VisitServices, observer: RecordingObserver
) -> None:
    sol = await store(index, "sol", SOL, 150)
    offer = await promotion(store_codes=["sol"])
    ana = await a_member(locale="es", time_zone="Europe/Madrid")

    [triggered] = await report_location(ana, *SOL, 10, NOW, services)

    assert (triggered.promotion.id, triggered.store.id, triggered.bonus_points) == (
        offer.id,
        sol.id,
        100,
    )
    assert triggered.pushed is True
    assert (await ledger.summary(ana.id, NOW)).balance == 100
    [notification] = await Notification.filter(member_id=ana.id)
    assert (notification.category, notification.title, notification.push_status) == (
        NotificationCategory.PROMOTION,
        "Coffee on us",
        PushStatus.PENDING,
    )
    assert [(a.kind, a.store_code, a.reference) for a in observer.activities] == [
        ("STORE_VISIT", "sol", "store-visit:sol:2026-01-15")
    ]
    trigger = await PromotionTrigger.get(member_id=ana.id)
    assert (trigger.notification_id, trigger.coupon_code) == (notification.id, None)
    assert triggered.notification_id == notification.id
    assert notification.dedupe_key == f"promotion:{trigger.id}"
    assert notification.data == {"promotion_id": str(offer.id), "store_code": "sol"}
    [entry] = await PointsEntry.filter(member_id=ana.id)
    reference = f"promotion:coffee-hour:{trigger.id}"
    assert (entry.kind, entry.delta, entry.reference, entry.description) == (
        EntryKind.BONUS,
        100,
        reference,
        "Promotion: Coffee on us",
    )
    assert [(e.kind, e.payload) for e in await OutboxEvent.filter(kind="PointsEarned")] == [
        (
            "PointsEarned",
            PointsEarned(
                member_id=ana.id,
                entry_id=entry.id,
                points=100,
                entry_kind="BONUS",
                reference=reference,
                available_at=NOW,
                created_at=NOW,
            ).to_payload(),
        )
    ]


async def test_the_bonus_of_a_promotion_upgrades_the_tier_it_lifts_the_member_to(
    index: GeofenceIndex, services: VisitServices
) -> None:
    await set_tiers(NOW)
    await store(index, "sol", SOL, 150)
    await promotion()
    ana = await a_member()
    await ledger.credit(ana.id, 450, EntryKind.EARN, "Order", NOW, reference="o-1")

    [triggered] = await report_location(ana, *SOL, None, NOW, services)

    assert triggered.bonus_points == 100
    assert (await Member.get(id=ana.id)).tier_code == "SILVER"
    changes = await OutboxEvent.filter(kind="TierChanged").values_list("payload", flat=True)
    assert [(c["member_id"], c["new_code"]) for c in changes] == [(ana.id, "SILVER")]


async def test_promotions_firing_together_share_the_daily_cap_with_earlier_pushes(
    index: GeofenceIndex, services: VisitServices
) -> None:
    await store(index, "sol", SOL, 150)
    await promotion(code="coffee")
    await promotion(code="cake")
    await promotion(code="tea")
    ana = await a_member()
    await update_notification_preferences(ana.id, PreferenceChanges(max_pushes_per_day=3), NOW)
    await notify_members(
        [ana.id],
        lambda _: Draft(NotificationCategory.POINTS, "Hello", "Welcome"),
        "welcome",
        NOW - timedelta(hours=1),
    )

    triggered = await report_location(ana, *SOL, None, NOW, services)

    assert [t.pushed for t in triggered] == [True, True, False]
    statuses = await Notification.filter(member_id=ana.id, category="PROMOTION").values_list(
        "push_status", "push_reason"
    )
    assert sorted(statuses) == [
        (PushStatus.PENDING, None),
        (PushStatus.PENDING, None),
        (PushStatus.SKIPPED, "daily cap"),
    ]


async def test_a_member_erased_while_reporting_gets_no_notification(
    index: GeofenceIndex, services: VisitServices
) -> None:
    await store(index, "sol", SOL, 150)
    await promotion()
    ana = await a_member()  # read before the erasure below
    await Member.filter(id=ana.id).update(erased_at=NOW)

    [triggered] = await report_location(ana, *SOL, None, NOW, services)

    assert (triggered.pushed, triggered.notification_id) == (False, None)
    assert await Notification.all().count() == 0
    assert (await PromotionTrigger.get(member_id=ana.id)).notification_id is None


async def test_a_location_outside_every_fence_triggers_nothing(
    index: GeofenceIndex, services: VisitServices, observer: RecordingObserver
) -> None:
    await store(index, "sol", SOL, 150)
    await promotion()
    ana = await a_member()

    assert await report_location(ana, *GRAN_VIA, 10, NOW, services) == []
    assert await report_location(ana, *SOL, 5_000, NOW, services) == []  # too vague to tell
    assert await PromotionTrigger.all().count() == 0
    assert observer.activities == []


async def test_a_promotion_fires_at_most_once_per_cooldown(
    index: GeofenceIndex, services: VisitServices
) -> None:
    await store(index, "sol", SOL, 150)
    await promotion(cooldown_hours=24)
    ana = await a_member()

    first = await report_location(ana, *SOL, None, NOW, services)
    an_hour_later = await report_location(ana, *SOL, None, NOW + timedelta(hours=1), services)
    next_day_too_soon = await report_location(
        ana, *SOL, None, NOW + timedelta(hours=23, minutes=59), services
    )
    a_day_later = await report_location(ana, *SOL, None, NOW + timedelta(hours=24), services)

    assert [len(first), len(an_hour_later), len(next_day_too_soon), len(a_day_later)] == [
        1,
        0,
        0,
        1,
    ]
    assert await PointsEntry.filter(member_id=ana.id).count() == 2


async def test_many_reports_at_once_trigger_the_promotion_once(
    index: GeofenceIndex, services: VisitServices
) -> None:
    await store(index, "sol", SOL, 150)
    await promotion()
    ana = await a_member()

    results = await asyncio.gather(
        *(report_location(ana, *SOL, None, NOW, services) for _ in range(10))
    )

    assert sum(len(r) for r in results) == 1
    assert await PromotionTrigger.all().count() == 1
    assert (await ledger.summary(ana.id, NOW)).balance == 100
    assert await Notification.filter(member_id=ana.id).count() == 1


async def test_reports_of_one_visit_arriving_at_once_out_of_order_fire_once(
    index: GeofenceIndex, services: VisitServices
) -> None:
    # Transitions the phone kept while offline land together, 5 hours apart: within one
    # cooldown of 6 hours but in different cooldown windows (06:00-12:00 and 12:00-18:00 UTC),
    # which the unique key cannot tell apart, so only the member's lock, taken before the
    # cooldown is checked again, keeps the promotion to one.
    sol = await store(index, "sol", SOL, 150)
    await promotion(cooldown_hours=6)
    ana = await a_member()
    times = [NOW - timedelta(hours=5), NOW] * 5

    results = await asyncio.gather(
        *(report_geofence_event(ana, sol.id, "ENTER", NOW, services, occurred_at=t) for t in times)
    )

    assert sum(len(r) for r in results) == 1
    assert await PromotionTrigger.all().count() == 1
    assert (await ledger.summary(ana.id, NOW)).balance == 100
    assert await Notification.filter(member_id=ana.id).count() == 1


async def test_a_promotion_for_other_stores_a_segment_or_another_transition_does_not_fire(
    index: GeofenceIndex, observer: RecordingObserver, coupons: Coupons
) -> None:
    await store(index, "sol", SOL, 150)
    await store(index, "bcn", CATALUNYA, 150)
    ana = await a_member("ana")
    bob = await a_member("bob")
    services = VisitServices(index, observer, Vip(bob.id), coupons, NoLiveFeed())
    await promotion(code="bcn-only", store_codes=["bcn"])
    await promotion(code="vip-only", segment_code="vip")
    await promotion(code="on-exit", transitions=["EXIT"])
    await promotion(code="over", ends_at=NOW - timedelta(minutes=1), starts_at=NOW - timedelta(1))

    for_ana = await report_location(ana, *SOL, None, NOW, services)
    for_bob = await report_location(bob, *SOL, None, NOW, services)

    assert for_ana == []
    assert [t.promotion.code for t in for_bob] == ["vip-only"]


async def test_a_promotion_can_hand_out_a_coupon_and_still_gives_points_when_they_run_out(
    index: GeofenceIndex, observer: RecordingObserver
) -> None:
    await store(index, "sol", SOL, 150)
    coupons = Coupons(stock=1)
    await upsert_promotion(
        PromotionInput(code="coffee", title="Coffee", message="Free coffee", starts_at=NOW,
                       ends_at=NOW + timedelta(days=1), bonus_points=10,
                       reward_code="free-coffee"),
        NOW, NoSegments(), coupons,
    )  # fmt: skip
    services = VisitServices(index, observer, NoSegments(), coupons, NoLiveFeed())
    ana = await a_member("ana")
    bob = await a_member("bob")

    [for_ana] = await report_location(ana, *SOL, None, NOW, services)
    [for_bob] = await report_location(bob, *SOL, None, NOW, services)

    assert (for_ana.coupon_code, for_bob.coupon_code) == ("COFFEE0001", None)
    assert (await ledger.summary(bob.id, NOW)).balance == 10
    notification = await Notification.get(member_id=ana.id)
    assert notification.data["coupon_code"] == "COFFEE0001"


async def test_a_promotion_during_quiet_hours_is_given_but_its_push_is_held(
    index: GeofenceIndex, services: VisitServices
) -> None:
    await store(index, "sol", SOL, 150)
    await promotion()
    ana = await a_member(time_zone="Europe/Madrid")
    await update_notification_preferences(
        ana.id, PreferenceChanges(quiet_hours_start="11:00", quiet_hours_end="14:00"), NOW
    )

    [triggered] = await report_location(ana, *SOL, None, NOW, services)  # 13:00 in Madrid

    assert triggered.pushed is False
    assert (await Notification.get(member_id=ana.id)).push_status is PushStatus.HELD


async def test_a_device_transition_triggers_the_promotion_of_that_store(
    index: GeofenceIndex, services: VisitServices, observer: RecordingObserver
) -> None:
    sol = await store(index, "sol", SOL, 150)
    await promotion(transitions=["ENTER", "DWELL"])
    ana = await a_member()

    entered = await report_geofence_event(
        ana, sol.id, "ENTER", NOW, services, occurred_at=NOW - timedelta(minutes=3)
    )
    left = await report_geofence_event(ana, sol.id, "EXIT", NOW, services)

    assert [t.promotion.code for t in entered] == ["coffee-hour"]
    assert left == []
    trigger = await PromotionTrigger.get()
    assert trigger.triggered_at == NOW - timedelta(minutes=3)
    assert len(observer.activities) == 1  # an exit is no visit


async def test_a_transition_for_an_unknown_geofence_is_not_found(
    services: VisitServices,
) -> None:
    ana = await a_member()
    with pytest.raises(NotFound) as raised:
        await report_geofence_event(ana, 999, "ENTER", NOW, services)
    assert raised.value.field == ["input", "geofenceId"]


async def test_an_enter_reported_far_from_the_fence_is_not_eligible_and_gives_nothing(
    index: GeofenceIndex, services: VisitServices
) -> None:
    sol = await store(index, "sol", SOL, 150)
    await promotion()
    ana = await a_member()

    with pytest.raises(NotEligible):
        await report_geofence_event(
            ana, sol.id, "ENTER", NOW, services, latitude=CATALUNYA[0], longitude=CATALUNYA[1]
        )

    assert await PromotionTrigger.all().count() == 0
    assert (await ledger.summary(ana.id, NOW)).balance == 0


async def test_a_transition_with_a_bad_time_or_half_a_position_is_refused(
    index: GeofenceIndex, services: VisitServices
) -> None:
    sol = await store(index, "sol", SOL, 150)
    ana = await a_member()

    with pytest.raises(ValidationErrors) as raised:
        await report_geofence_event(
            ana, sol.id, "ARRIVE", NOW, services, latitude=SOL[0],
            occurred_at=NOW - timedelta(days=1),
        )  # fmt: skip

    assert [(e.code, e.field) for e in raised.value.errors] == [
        ("INVALID_INPUT", ["input", "transition"]),
        ("INVALID_INPUT", ["input", "latitude"]),
        ("INVALID_INPUT", ["input", "occurredAt"]),
    ]


async def test_without_a_coupon_issuer_a_promotion_cannot_name_a_reward() -> None:
    with pytest.raises(ValidationErrors) as raised:
        await upsert_promotion(
            PromotionInput(code="c", title="C", message="M", starts_at=NOW,
                           ends_at=NOW + timedelta(days=1), reward_code="free-coffee"),
            NOW, NoSegments(), NoCoupons(),
        )  # fmt: skip
    assert [(e.code, e.field) for e in raised.value.errors] == [
        ("NOT_FOUND", ["input", "rewardCode"])
    ]


async def test_the_demo_stores_and_promotions_seed_idempotently(
    index: GeofenceIndex, services: VisitServices
) -> None:
    for _ in range(2):
        await seed_stores_and_promotions(NOW, index, NoSegments(), NoCoupons())

    assert await Store.all().count() == 5
    assert await Promotion.all().count() == 2
    ana = await a_member()
    [welcome] = await report_location(ana, 40.41690, -3.70350, 10, NOW, services)
    assert welcome.promotion.code == "welcome-to-the-store"


# ---------------------------------------------------------------- what a report costs


class CountingGeoRedis:
    """The test's Redis client, counting the GEOSEARCH commands sent through pipelines or
    scripts (a call of a script that runs one counts one)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.geosearches = 0

    def pipeline(self, *args: Any, **kwargs: Any) -> CountingPipeline:
        return CountingPipeline(self, self._client.pipeline(*args, **kwargs))

    def register_script(self, body: str) -> Any:
        script = self._client.register_script(body)
        if "GEOSEARCH" not in body:
            return script

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.geosearches += body.count("'GEOSEARCH'")
            return await script(*args, **kwargs)

        return counted

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class CountingPipeline:
    def __init__(self, counter: CountingGeoRedis, pipe: Any) -> None:
        self._counter, self._pipe = counter, pipe

    async def __aenter__(self) -> CountingPipeline:
        await self._pipe.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._pipe.__aexit__(*exc)

    def geosearch(self, *args: Any, **kwargs: Any) -> Any:
        self._counter.geosearches += 1
        return self._pipe.geosearch(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipe, name)


async def test_a_report_costs_one_geosearch_and_a_statement_or_two_unless_a_promotion_fires(
    redis_client: Any, redis_prefix: str, observer: RecordingObserver, coupons: Coupons
) -> None:
    redis = CountingGeoRedis(redis_client)
    index = GeofenceIndex(redis, redis_prefix)
    services = VisitServices(index, NoAchievements(), NoSegments(), coupons, NoLiveFeed())
    await store(index, "sol", SOL, 150)
    await store(index, "madrid-centre", SOL, 2_000)
    await promotion(store_codes=["sol"], cooldown_hours=24)
    bea, ana = await a_member("bea"), await a_member("ana")
    await report_location(bea, *SOL, 10, NOW, services)  # this process has read the program
    redis.geosearches = 0

    with counting_statements() as firing:
        [fired] = await report_location(ana, *SOL, 10, NOW, services)
    with counting_statements() as cooling:
        assert await report_location(ana, *SOL, 10, NOW + timedelta(hours=1), services) == []
    with counting_statements() as outside:
        assert await report_location(ana, *CATALUNYA, 10, NOW, services) == []

    assert fired.store.code == "sol"
    assert redis.geosearches == 3
    # The versions, then the member's recent triggers read without a lock.
    assert len(cooling) == 2, cooling.sql
    # Outside every fence: the large fences as of versions read less than a second ago.
    assert len(outside) == 0, outside.sql
    # Besides those two: the member locked with their notification preferences and the pushes
    # counted toward their daily cap (push.notifications.lock_addressee); the trigger unless
    # within a cooldown, with its points and their event; the notification with the trigger's
    # record of it. SQLite has no data-modifying CTEs: the trigger, the points, the event, the
    # notification and the record are a statement each. The tier observer of the credit costs
    # nothing here: the ladder is the process's, the locked row says the member holds its top
    # rung (a ladder with a rung above adds the member's qualifying points, and the member's
    # row only when they move).
    expected = 5 if dialect() == "postgres" else 8
    assert len(firing) == expected, "\n".join(firing.sql)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_large_fence_counts_within_a_second_and_what_fires_is_decided_as_of_now(
    index: GeofenceIndex, coupons: Coupons
) -> None:
    clock = Clock()
    services = VisitServices(
        index, NoAchievements(), NoSegments(), coupons, NoLiveFeed(), VersionReader(clock)
    )
    await promotion(cooldown_hours=24)
    ana, bea = await a_member("ana"), await a_member("bea")
    assert await report_location(ana, *SOL, 10, NOW, services) == []  # no fence yet

    # A large fence made by another process meanwhile (its versions bumped in the database):
    # a report outside every small fence goes by the versions read less than a second ago...
    await store(index, "madrid-centre", SOL, 2_000)
    with counting_statements() as outside:
        assert await report_location(ana, *SOL, 10, NOW, services) == []
    assert len(outside) == 0, outside.sql
    # ... and counts it once they are older than `LARGE_FENCES_MAX_AGE`.
    clock.now += LARGE_FENCES_MAX_AGE + 0.01
    [fired] = await report_location(ana, *SOL, 10, NOW, services)
    assert fired.store.code == "madrid-centre"

    # The fence moved to Barcelona: the versions read a moment ago still place it in Madrid,
    # but whether it holds the point is decided on the stores as of the report.
    await store(index, "madrid-centre", CATALUNYA, 2_000)
    assert await report_location(bea, *SOL, 10, NOW, services) == []
    [moved] = await report_location(bea, *CATALUNYA, 10, NOW, services)
    assert moved.store.code == "madrid-centre"


async def test_reports_of_many_members_at_once_fire_once_each_and_read_the_program_once(
    index: GeofenceIndex, coupons: Coupons
) -> None:
    services = VisitServices(index, NoAchievements(), NoSegments(), coupons, NoLiveFeed())
    await store(index, "sol", SOL, 150)
    await promotion(cooldown_hours=24)
    members = [await a_member(f"m{i}") for i in range(6)]

    with counting_statements() as statements:
        results = await asyncio.gather(
            *(report_location(m, *SOL, 10, NOW, services) for m in members for _ in range(3))
        )

    assert sum(len(r) for r in results) == 6
    assert await PromotionTrigger.all().count() == 6
    promotion_reads = [s for s in statements.sql if 'FROM "promotion"' in s]
    index_rebuilds = [s for s in statements.sql if 'FROM "store" WHERE "id">' in s]
    assert len(promotion_reads) == 1, promotion_reads  # once for all 18 reports
    assert len(index_rebuilds) == 2, index_rebuilds  # one rebuild (one page and the end)
