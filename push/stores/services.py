"""Use cases of stores and promotions for admins, and the nearest geofences for the app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.audit import SYSTEM, Actor, record_change, row_snapshot
from domain.errors import InputErrors, InvalidInput, NotFound
from domain.versions import ConfigPart, bump_version
from push.bonus import MAX_BONUS_POINTS
from push.ports import CouponIssuer, SegmentDirectory
from push.stores.geoindex import MAX_GEO_LATITUDE, GeofenceIndex
from push.stores.models import GeofenceTransition, Promotion, Store
from push.validation import (
    check_aware,
    check_code,
    check_int,
    check_latitude,
    check_longitude,
    check_text,
)

MIN_RADIUS_M = 50.0
MAX_RADIUS_M = 50_000.0
NEARBY_DEFAULT = 20
NEARBY_MAX = 100
MAX_COOLDOWN_HOURS = 24 * 366


@dataclass(frozen=True)
class StoreInput:
    code: str
    name: str
    latitude: float
    longitude: float
    geofence_radius_m: float
    address: str | None = None


async def list_stores() -> list[Store]:
    """Every store, by name (the console's list; a shop has tens to a few thousand)."""
    return await Store.all().order_by("name", "id")


async def list_promotions() -> list[Promotion]:
    """Every promotion, the latest to start first."""
    return await Promotion.all().order_by("-starts_at", "-id")


async def upsert_store(
    data: StoreInput, now: datetime, index: GeofenceIndex, actor: Actor = SYSTEM
) -> Store:
    """Create or update the store with this code, and file its geofence in the index.
    Audited as `store.upsert` by `actor`.

    Coordinates must be valid (latitude within ±85.05°, where geofencing works) and the
    radius 50 m to 50 km. Raises ValidationErrors of InvalidInput naming each field at fault.
    """
    problems = InputErrors()
    code = problems.check(check_code, data.code, ["input", "code"])
    name = problems.check(check_text, data.name, ["input", "name"], max_length=120)
    address = None
    if data.address is not None and data.address.strip():
        address = problems.check(check_text, data.address, ["input", "address"], max_length=300)
    latitude = problems.check(check_latitude, data.latitude, ["input", "latitude"])
    if latitude is not None and abs(latitude) > MAX_GEO_LATITUDE:
        problems.add(
            InvalidInput("geofences work within ±85.05° of latitude", ["input", "latitude"])
        )
    longitude = problems.check(check_longitude, data.longitude, ["input", "longitude"])
    radius = data.geofence_radius_m
    if not (MIN_RADIUS_M <= radius <= MAX_RADIUS_M):  # also refuses NaN
        problems.add(
            InvalidInput(
                "a geofence radius is 50 to 50,000 metres", ["input", "geofenceRadiusMeters"]
            )
        )
    problems.raise_any()
    assert code is not None  # raise_any raised otherwise
    values: dict[str, Any] = {
        "name": name,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "geofence_radius_m": float(radius),
        "updated_at": now,
    }
    previous_radius: float | None = None
    async with in_transaction():
        store = await Store.filter(code=code).select_for_update().first()
        before = row_snapshot(store) if store is not None else None
        if store is None:
            try:
                async with in_transaction():
                    store = await Store.create(code=code, created_at=now, **values)
            except IntegrityError:  # created concurrently: update it below
                store = await Store.filter(code=code).select_for_update().get()
            else:
                values = {}
        if values:
            previous_radius = store.geofence_radius_m
            await Store.filter(id=store.id).update(**values)
            await store.refresh_from_db()
        await record_change(actor, "store.upsert", "store", code, before, row_snapshot(store), now)
        await bump_version(ConfigPart.STORES)
    # After the commit: the index mirrors what the database holds.
    await index.put(store, previous_radius)
    return store


@dataclass(frozen=True)
class NearbyGeofence:
    store: Store
    distance_m: float


async def nearby_geofences(
    latitude: float, longitude: float, index: GeofenceIndex, limit: int = NEARBY_DEFAULT
) -> list[NearbyGeofence]:
    """The stores' geofences nearest the point, nearest first, for the app to monitor (iOS
    watches at most 20 regions). Raises InvalidInput for bad coordinates or a limit outside
    1-100."""
    problems = InputErrors()
    problems.check(check_latitude, latitude, ["latitude"])
    problems.check(check_longitude, longitude, ["longitude"])
    problems.check(check_int, limit, ["limit"], minimum=1, maximum=NEARBY_MAX)
    problems.raise_any()
    hits = await index.nearest(latitude, longitude, limit)
    stores = {s.id: s for s in await Store.filter(id__in=[h.store_id for h in hits])}
    return [NearbyGeofence(stores[h.store_id], h.distance_m) for h in hits if h.store_id in stores]


@dataclass(frozen=True)
class PromotionInput:
    code: str
    title: str
    message: str
    starts_at: datetime
    ends_at: datetime
    store_codes: Sequence[str] | None = None
    segment_code: str | None = None
    bonus_points: int = 0
    reward_code: str | None = None
    cooldown_hours: int = 24
    transitions: Sequence[str] | None = None


async def upsert_promotion(
    data: PromotionInput,
    now: datetime,
    segments: SegmentDirectory,
    coupons: CouponIssuer,
    actor: Actor = SYSTEM,
) -> Promotion:
    """Create or update the promotion with this code. Audited as `promotion.upsert` by `actor`.

    Checks: texts (title up to 100, message up to 500 characters), starts before it ends,
    stores, segment and reward that exist, 0-100,000 bonus points, a cooldown of 1 hour to a
    year, at least one transition. Raises ValidationErrors of InvalidInput / NotFound naming
    each field at fault.
    """
    problems = InputErrors()
    code = problems.check(check_code, data.code, ["input", "code"])
    title = problems.check(check_text, data.title, ["input", "title"], max_length=100)
    message = problems.check(check_text, data.message, ["input", "message"], max_length=500)
    starts_at = problems.check(check_aware, data.starts_at, ["input", "startsAt"])
    ends_at = problems.check(check_aware, data.ends_at, ["input", "endsAt"])
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        problems.add(InvalidInput("a promotion ends after it starts", ["input", "endsAt"]))
    bonus = problems.check(
        check_int, data.bonus_points, ["input", "bonusPoints"], minimum=0, maximum=MAX_BONUS_POINTS
    )
    cooldown = problems.check(
        check_int, data.cooldown_hours, ["input", "cooldownHours"], minimum=1,
        maximum=MAX_COOLDOWN_HOURS,
    )  # fmt: skip
    transitions: list[str] = []
    for i, name in enumerate(data.transitions if data.transitions is not None else ["ENTER"]):
        if name not in GeofenceTransition.__members__:
            problems.add(
                InvalidInput(f"'{name}' is not a transition", ["input", "transitions", str(i)])
            )
        elif name not in transitions:
            transitions.append(name)
    if not transitions and not problems.errors:
        problems.add(InvalidInput("at least one transition", ["input", "transitions"]))
    store_codes = [c.strip() for c in (data.store_codes or [])]
    if store_codes:
        known = set(await Store.filter(code__in=store_codes).values_list("code", flat=True))
        for i, store_code in enumerate(store_codes):
            if store_code not in known:
                problems.add(NotFound(f"no store '{store_code}'", ["input", "storeCodes", str(i)]))
    segment_code = data.segment_code.strip() if data.segment_code else None
    if segment_code and not await segments.exists(segment_code):
        problems.add(NotFound(f"no segment '{segment_code}'", ["input", "segmentCode"]))
    reward_code = data.reward_code.strip() if data.reward_code else None
    if reward_code and not await coupons.reward_exists(reward_code):
        problems.add(NotFound(f"no reward '{reward_code}'", ["input", "rewardCode"]))
    problems.raise_any()
    assert code is not None  # raise_any raised otherwise
    values: dict[str, Any] = {
        "title": title,
        "message": message,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "store_codes": sorted(set(store_codes)),
        "segment_code": segment_code,
        "bonus_points": bonus,
        "reward_code": reward_code,
        "cooldown_hours": cooldown,
        "transitions": transitions,
        "updated_at": now,
    }
    async with in_transaction():
        promotion = await Promotion.filter(code=code).select_for_update().first()
        before = row_snapshot(promotion) if promotion is not None else None
        if promotion is None:
            try:
                async with in_transaction():
                    promotion = await Promotion.create(code=code, created_at=now, **values)
            except IntegrityError:
                promotion = await Promotion.filter(code=code).select_for_update().get()
            else:
                values = {}
        if values:
            await Promotion.filter(id=promotion.id).update(**values)
            await promotion.refresh_from_db()
        await record_change(
            actor, "promotion.upsert", "promotion", code, before, row_snapshot(promotion), now
        )
        await bump_version(ConfigPart.PROMOTIONS)
        return promotion


def cooldown_window_start(moment: datetime, cooldown_hours: int) -> datetime:
    """`moment` floored to a whole number of cooldowns since the Unix epoch (UTC)."""
    epoch = datetime(1970, 1, 1, tzinfo=moment.tzinfo)
    size = timedelta(hours=cooldown_hours)
    return epoch + size * ((moment - epoch) // size)
