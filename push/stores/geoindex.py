"""The geofence index: store circles in Redis GEO sets, rebuilt from the database at will.

Fences up to `SMALL_FENCE_M` (most stores: 50-500 m) are filed in one GEO set, with members
named "<store id>:<radius>". Finding the fences that contain a point is one GEOSEARCH of that
set by `SMALL_FENCE_M`, then a filter by each fence's own radius: one command however many
fences there are. Larger fences (a few km around a mall or an airport, up to 50 km) are not in
that set, so that one of them somewhere never turns every search into a 50 km one: they are
few, and each process keeps them in memory by the stores' version and matches them there
(`push.stores.catalogue.FenceGrid`). Another set holds every store by id for "the nearest N"
(searched in widening circles).

Redis only mirrors the database (DESIGN: losing Redis loses nothing): `rebuild` refills it,
and a search that finds the index missing (Redis flushed or new) rebuilds it first. The keys
share one hash tag so that a pipeline and RENAME work on Redis Cluster. The embedded setup
runs the same code on the in-process Redis stand-in (fakeredis implements GEO; it scans,
which is fine for the few stores of a demo: production runs on Redis).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass
from typing import Any

from push.stores.models import Store

#: Fences up to this radius are searched in Redis; larger ones in process (metres).
SMALL_FENCE_M = 500.0
#: The sets of an earlier layout (one per radius class), removed by `rebuild`.
_RETIRED_CLASS_KEYS = ("r250", "r1000", "r5000", "r50000", "built")
#: Widening circles for "the nearest N", in metres (the last covers the earth).
NEAREST_STEPS = (5_000.0, 50_000.0, 500_000.0, 5_000_000.0, 20_038_000.0)
#: Redis GEO cannot index latitudes beyond this (Web Mercator).
MAX_GEO_LATITUDE = 85.05112878
_EARTH_RADIUS_M = 6372797.560856  # the one Redis uses, so both agree on distances
_REBUILD_PAGE = 5000

# KEYS: the rebuilt sets (small, all), the live sets (small, all), the built marker, then the
# retired keys. ARGV: the number of stores. Swaps the rebuilt index in, all at once (a script,
# not a MULTI with RENAME: a cluster client refuses RENAME in a pipeline; every key carries
# the `{geofences}` hash tag, so the script stays in one slot).
_SWAP_IN = """
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 2])
  else
    redis.call('DEL', KEYS[i + 2])
  end
end
redis.call('SET', KEYS[5], ARGV[1])
for i = 6, #KEYS do
  redis.call('DEL', KEYS[i])
end
return 1
"""

# KEYS: the built marker, the small fences' set. ARGV: longitude, latitude, radius in metres.
# The fences within the radius, nearest first, with their distances; nil when the index is not
# built. One command: the pipeline of EXISTS and GEOSEARCH it replaces cost redis-py a
# pipeline object and two replies to parse on every location report.
_CONTAINING = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
return redis.call('GEOSEARCH', KEYS[2], 'FROMLONLAT', ARGV[1], ARGV[2],
  'BYRADIUS', ARGV[3], 'm', 'ASC', 'WITHDIST')
"""


def is_small(radius_m: float) -> bool:
    """Whether a fence of this radius is searched in Redis (else in process)."""
    return radius_m <= SMALL_FENCE_M


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, on Redis's earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class FenceHit:
    store_id: int
    distance_m: float


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class GeofenceIndex:
    """Store geofences in the app's Redis under `prefix`."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._base = f"{prefix}{{geofences}}"
        self._rebuilding = asyncio.Lock()
        self._containing = redis.register_script(_CONTAINING)

    @property
    def _small_key(self) -> str:
        return f"{self._base}:small"

    @property
    def _all_key(self) -> str:
        return f"{self._base}:stores"

    @property
    def _built_key(self) -> str:
        # Named after the layout: a Redis filled by the per-class layout counts as unbuilt.
        return f"{self._base}:built:small"

    def _keys(self) -> list[str]:
        return [self._small_key, self._all_key]

    @staticmethod
    def _fence_name(store_id: int, radius_m: float) -> str:
        return f"{store_id}:{radius_m:.2f}"

    async def put(self, store: Store, previous_radius_m: float | None = None) -> None:
        """File (or move) a store's fence; `previous_radius_m` is its radius before an edit."""
        async with self._redis.pipeline(transaction=True) as pipe:
            if previous_radius_m is not None:
                pipe.zrem(self._small_key, self._fence_name(store.id, previous_radius_m))
            if is_small(store.geofence_radius_m):
                pipe.geoadd(
                    self._small_key,
                    [
                        store.longitude,
                        store.latitude,
                        self._fence_name(store.id, store.geofence_radius_m),
                    ],
                )
            pipe.geoadd(self._all_key, [store.longitude, store.latitude, str(store.id)])
            await pipe.execute()

    async def remove(self, store_id: int, radius_m: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._small_key, self._fence_name(store_id, radius_m))
            pipe.zrem(self._all_key, str(store_id))
            await pipe.execute()

    async def containing(self, latitude: float, longitude: float) -> list[FenceHit]:
        """The small fences (up to `SMALL_FENCE_M`) whose circle holds the point, nearest
        first: one round trip of one script (`_CONTAINING`: the built marker checked, one
        GEOSEARCH; two round trips if the index has to be rebuilt first). Larger fences are
        matched in process (`push.stores.catalogue`)."""
        if abs(latitude) > MAX_GEO_LATITUDE:
            return []
        found: list[Any] | None = None
        for _ in range(2):
            found = await self._containing(
                keys=[self._built_key, self._small_key],
                args=[longitude, latitude, SMALL_FENCE_M],
            )
            if found is not None:
                break
            await self._rebuild_if_missing()
        hits: list[FenceHit] = []
        for name, distance in found or ():
            store_id, _, radius = _text(name).partition(":")
            if float(distance) <= float(radius):
                hits.append(FenceHit(int(store_id), float(distance)))
        return hits

    async def nearest(self, latitude: float, longitude: float, limit: int) -> list[FenceHit]:
        """The `limit` stores nearest the point, nearest first (widening circles: one round
        trip where stores are dense, a few where they are sparse)."""
        if abs(latitude) > MAX_GEO_LATITUDE or limit < 1:
            return []
        if not await self._redis.exists(self._built_key):
            await self._rebuild_if_missing()
        found: list[Any] = []
        for radius in NEAREST_STEPS:
            found = await self._redis.geosearch(
                self._all_key,
                longitude=longitude,
                latitude=latitude,
                radius=radius,
                unit="m",
                withdist=True,
                sort="ASC",
                count=limit,
            )
            if len(found) >= limit:
                break
        return [FenceHit(int(_text(name)), float(distance)) for name, distance in found]

    async def _rebuild_if_missing(self) -> None:
        """Rebuild once for the searches of this process that found the index missing."""
        async with self._rebuilding:
            if not await self._redis.exists(self._built_key):
                await self.rebuild()

    async def rebuild(self) -> int:
        """Refill the index from the stores table (into fresh keys, then swapped in, so
        searches meanwhile see the old index); returns the stores indexed."""
        suffix = uuid.uuid4().hex[:8]
        temporary = {key: f"{key}:rebuild:{suffix}" for key in self._keys()}
        count = 0
        after = 0
        while True:
            page = (
                await Store.filter(id__gt=after)
                .order_by("id")
                .limit(_REBUILD_PAGE)
                .values_list("id", "latitude", "longitude", "geofence_radius_m")
            )
            if not page:
                break
            after = page[-1][0]
            small: list[Any] = []
            everything: list[Any] = []
            for store_id, latitude, longitude, radius in page:
                if is_small(radius):
                    small.extend([longitude, latitude, self._fence_name(store_id, radius)])
                everything.extend([longitude, latitude, str(store_id)])
            async with self._redis.pipeline(transaction=False) as pipe:
                if small:
                    pipe.geoadd(temporary[self._small_key], small)
                pipe.geoadd(temporary[self._all_key], everything)
                await pipe.execute()
            count += len(page)
        swap_in = self._redis.register_script(_SWAP_IN)
        await swap_in(
            keys=[
                *temporary.values(),
                *temporary.keys(),
                self._built_key,
                *(f"{self._base}:{name}" for name in _RETIRED_CLASS_KEYS),
            ],
            args=[count],
        )
        return count
