"""Stores and promotions as each process keeps them, checked by their versions.

Every `reportLocation` needs the fences around a point and the promotions in force; both
change only when an admin edits them, which bumps the `stores` or `promotions` part of
`domain.versions` in the same transaction. A process keeps what it read with the version it
read it at, and the request reads every version in one (shared) query: an admin's change is
seen by every process at the next request, and an unchanged program costs no reads.

- The fences larger than `geoindex.SMALL_FENCE_M` are few; they are held whole, in a grid of
  0.25° cells (`FenceGrid`), so that a point is matched against the handful filed in its cell.
- The other stores are read by id when the Redis index finds them, and kept (up to
  `MAX_KEPT_STORES`) until the stores' version moves.
- The promotions are held whole (an admin's list: dozens, not thousands).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.versions import ConfigPart, VersionedCache, Versions
from push.stores.geoindex import SMALL_FENCE_M, distance_m
from push.stores.models import Promotion, Store

#: Side of a grid cell, in degrees.
CELL_DEGREES = 0.25
_COLUMNS = round(360 / CELL_DEGREES)
#: Metres per degree of latitude on the earth `distance_m` uses, minus a margin (so that a
#: fence's box is never too small).
_METRES_PER_DEGREE = 111_000.0
#: Stores read by id that a process keeps at most (about 300 bytes each).
MAX_KEPT_STORES = 50_000
_FENCE_COLUMNS = ("id", "code", "name", "address", "latitude", "longitude", "geofence_radius_m")


@dataclass(frozen=True, slots=True)
class Fence:
    """A store and its circle, as matching needs them (and a payload shows them)."""

    id: int
    code: str
    name: str
    address: str | None
    latitude: float
    longitude: float
    geofence_radius_m: float

    def distance_m(self, latitude: float, longitude: float) -> float:
        return distance_m(latitude, longitude, self.latitude, self.longitude)

    def holds(self, latitude: float, longitude: float) -> bool:
        return self.distance_m(latitude, longitude) <= self.geofence_radius_m

    def as_store(self) -> Store:
        """The store as a (detached) model, for the payloads that show it."""
        return Store(
            id=self.id,
            code=self.code,
            name=self.name,
            address=self.address,
            latitude=self.latitude,
            longitude=self.longitude,
            geofence_radius_m=self.geofence_radius_m,
        )


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    row = math.floor((latitude + 90.0) / CELL_DEGREES)
    column = math.floor((longitude + 180.0) / CELL_DEGREES) % _COLUMNS
    return row, column


class FenceGrid:
    """Fences filed in every 0.25° cell their bounding box touches; a point is checked against
    the fences of its own cell only."""

    def __init__(self, fences: Iterable[Fence]) -> None:
        self._cells: dict[tuple[int, int], list[Fence]] = {}
        self.size = 0
        for fence in fences:
            self._file(fence)
            self.size += 1

    def _file(self, fence: Fence) -> None:
        reach = fence.geofence_radius_m / _METRES_PER_DEGREE
        south, north = max(-90.0, fence.latitude - reach), min(90.0, fence.latitude + reach)
        widest = max(abs(south), abs(north))
        scale = math.cos(math.radians(widest))
        if scale <= 0 or reach / scale >= 180.0:
            columns: Iterable[int] = range(_COLUMNS)
        else:
            west = fence.longitude - reach / scale
            east = fence.longitude + reach / scale
            first = math.floor((west + 180.0) / CELL_DEGREES)
            last = math.floor((east + 180.0) / CELL_DEGREES)
            columns = sorted({c % _COLUMNS for c in range(first, last + 1)})
        first_row, last_row = _cell(south, 0.0)[0], _cell(north, 0.0)[0]
        for row in range(first_row, last_row + 1):
            for column in columns:
                self._cells.setdefault((row, column), []).append(fence)

    def containing(self, latitude: float, longitude: float) -> list[Fence]:
        """The fences whose circle holds the point."""
        return [
            f
            for f in self._cells.get(_cell(latitude, longitude), ())
            if f.holds(latitude, longitude)
        ]


async def _large_fences() -> FenceGrid:
    rows = await Store.filter(geofence_radius_m__gt=SMALL_FENCE_M).values_list(*_FENCE_COLUMNS)
    return FenceGrid(Fence(*row) for row in rows)


async def _promotions() -> tuple[Promotion, ...]:
    return tuple(await Promotion.all().order_by("id"))


class StoreCatalogue:
    """One process's stores: the large fences whole, the others as the index finds them."""

    def __init__(self) -> None:
        self._large = VersionedCache(ConfigPart.STORES, _large_fences)
        self._version: int | None = None
        self._by_id: dict[int, Fence] = {}

    async def large(self, versions: Versions) -> FenceGrid:
        """The fences beyond `SMALL_FENCE_M`, as of `versions`."""
        return await self._large.get(versions)

    async def by_id(self, ids: Sequence[int], versions: Versions) -> dict[int, Fence]:
        """The stores with these ids (unknown ids left out), as of `versions`: kept ones
        cost nothing, the others one query."""
        version = versions.get(ConfigPart.STORES.value, 0)
        if self._version is None or version > self._version:
            self._by_id = {}
            self._version = version
        kept = self._by_id if self._version == version else {}
        found = {i: kept[i] for i in ids if i in kept}
        missing = [i for i in ids if i not in found]
        if missing:
            rows = await Store.filter(id__in=missing).values_list(*_FENCE_COLUMNS)
            read = {row[0]: Fence(*row) for row in rows}
            found.update(read)
            # Kept only under the version read before the query: a newer version's reader
            # has emptied the dict, and what this query read may be older than that.
            if self._version == version:
                if len(self._by_id) + len(read) > MAX_KEPT_STORES:
                    self._by_id = {}
                self._by_id.update(read)
        return found


class PromotionCatalogue:
    """One process's promotions, all of them, read again when their version moves."""

    def __init__(self) -> None:
        self._all = VersionedCache(ConfigPart.PROMOTIONS, _promotions)

    async def all(self, versions: Versions) -> tuple[Promotion, ...]:
        """Every promotion as of `versions`, by id (read-only: shared by requests)."""
        return await self._all.get(versions)


@dataclass
class VisitCatalogue:
    """What visits keep per process (one per runtime)."""

    stores: StoreCatalogue
    promotions: PromotionCatalogue

    @classmethod
    def empty(cls) -> VisitCatalogue:
        return cls(StoreCatalogue(), PromotionCatalogue())
