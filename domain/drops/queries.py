"""Reading drops: the list a member browses, their own claims, and who hears of an opening."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from tortoise.expressions import Subquery

from domain.achievements.models import MemberBadge
from domain.clock import Clock
from domain.drops.models import Drop, DropClaim
from domain.drops.rules import DropStatus, drop_status
from domain.members.models import Member
from domain.members.services import WithMember
from domain.points.balances import FIGURE_COLUMNS, figures, figures_of_row
from domain.segments.models import Segment
from domain.segments.services import segment_member_ids_query
from domain.sql import Statement, distinct, for_ids, placeholders
from domain.versions import ConfigPart, SharedRead, read_versions

#: Closed drops stay in the unfiltered list this long (the member's recent history).
RECENTLY_CLOSED = timedelta(days=30)
MAX_LISTED = 100


#: The drops screen's list, written out (tortoise's queryset cost more CPU than the read).
_CLOSED = Statement(
    "SELECT * FROM exclusive_drop WHERE closes_at <= $1 ORDER BY closes_at DESC, id DESC LIMIT $2"
)
_CLOSING_AFTER = Statement(
    "SELECT * FROM exclusive_drop WHERE closes_at > $1 ORDER BY opens_at, id LIMIT $2"
)


async def list_drops(
    now: datetime,
    status: DropStatus | None = None,
    tier_level: int | None = None,
    listing: DropListing | None = None,
) -> list[Drop]:
    """Drops by status as a member of `tier_level` sees them (early access opens sooner), the
    soonest opening first: every drop not yet closed plus those closed in the last 30 days
    when no status is asked, and the most recently closed first for CLOSED. At most 100.
    From `listing` (a `DropShelf`'s) where it holds the answer, else from the database."""
    if status == DropStatus.CLOSED:
        return await _CLOSED.models(Drop, now, MAX_LISTED)
    after = now - RECENTLY_CLOSED if status is None else now
    drops = None if listing is None else listing.closing_after(after, MAX_LISTED * 4)
    if drops is None:
        drops = await _CLOSING_AFTER.models(Drop, after, MAX_LISTED * 4)
    if status is not None:
        drops = [d for d in drops if drop_status(d, now, tier_level) == status]
    return drops[:MAX_LISTED]


#: How old the drops a `DropShelf` serves may be, in seconds: their stock (claims take units,
#: lapsed reservations give them back, neither bumps a version) shows this late at most.
STOCK_MAX_AGE = 1.0
#: A shelf's read also holds the drops closed this much before the list's 30 days, so that
#: requests that began shortly before the read (an earlier `now`) are answered from it too.
_SHELF_MARGIN = timedelta(minutes=1)
#: The most drops a shelf's read holds (past it, lists it cannot tell are read directly).
SHELF_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class DropListing:
    """The drops closing after `after`, soonest opening first, as one read saw them: all of
    them when `complete`, else the first `len(drops)` (the read's limit); `version` is the
    drops' version read just before them (the rows show every change up to it). Shared by
    the requests of a process: treat the rows as read-only."""

    version: int
    after: datetime
    drops: tuple[Drop, ...]
    complete: bool

    def closing_after(self, moment: datetime, limit: int) -> list[Drop] | None:
        """What `_CLOSING_AFTER` reads for (`moment`, `limit`), or None when this listing
        cannot tell (`moment` before what it covers, or the read stopped short of `limit`)."""
        if moment < self.after:
            return None
        found = [d for d in self.drops if d.closes_at > moment]
        if len(found) < limit and not self.complete:
            return None
        return found[:limit]


class DropShelf:
    """The drops list's rows, kept per process: read again when the drops' version moved (an
    admin's upsert, translation or draw, on any process) and otherwise at most every
    `max_age` seconds, for the stock that claims and released reservations move without a
    version. What the clock changes (open, sold out for a tier, closed, out of the list) is
    worked out from the rows at each request's `now`. Concurrent requests share one read
    (`SharedRead`).

    A request takes the `recent()` rows, then compares their `version` with the drops'
    version it reads (alone, or within a statement it sends anyway): a newer one means an
    admin changed drops since, and `listing(version)` reads them again."""

    def __init__(
        self,
        clock: Clock,
        max_age: float = STOCK_MAX_AGE,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._max_age = max_age
        self._ticks = ticks
        self._version = 0
        self._reads = SharedRead(self._read, ticks)

    async def recent(self) -> DropListing:
        """The rows as last read, if at most `max_age` seconds ago (else read now)."""
        return await self._reads.read(self._max_age)

    async def listing(self, version: int) -> DropListing:
        """The rows as of the drops' `version` (read after it was seen) and at most `max_age`
        seconds old."""
        if version > self._version:
            # A read begun before this version was seen may not show its change: reads
            # start afresh (the callers already waiting on one knew only older versions).
            self._version, self._reads = version, SharedRead(self._read, self._ticks)
        return await self._reads.read(self._max_age)

    async def _read(self) -> DropListing:
        version = (await read_versions()).get(ConfigPart.DROPS.value, 0)
        after = self._clock.now() - RECENTLY_CLOSED - _SHELF_MARGIN
        drops = await _CLOSING_AFTER.models(Drop, after, SHELF_LIMIT)
        return DropListing(version, after, tuple(drops), len(drops) < SHELF_LIMIT)


async def get_drop(drop_id: int) -> Drop | None:
    return await Drop.get_or_none(id=drop_id)


async def drops_by_ids(drop_ids: Sequence[int]) -> dict[int, Drop]:
    return {d.id: d for d in await Drop.filter(id__in=list(drop_ids))}


async def member_claims(member_id: int, drop_ids: Sequence[int]) -> dict[int, DropClaim]:
    """The member's claim for each drop, in one query: the latest one still holding a unit or
    an entry, else the latest (a released or lost one), so the app can tell what happened."""
    claims = await DropClaim.filter(member_id=member_id, drop_id__in=list(drop_ids)).order_by("id")
    return _chosen(claims)


def _chosen(claims: Sequence[DropClaim]) -> dict[int, DropClaim]:
    """Of claims in id order, each drop's latest holding a unit or entry, else its latest."""
    chosen: dict[int, DropClaim] = {}
    for claim in claims:
        current = chosen.get(claim.drop_id)
        if current is None or claim.slot is not None or current.slot is None:
            chosen[claim.drop_id] = claim
    return chosen


_CLAIM_COLUMNS = (
    "id",
    "drop_id",
    "member_id",
    "status",
    "slot",
    "coupon_code",
    "idempotency_key",
    "reserved_until",
    "points_entry_id",
    "points_spent",
    "order_id",
    "completed_at",
    "cancelled_at",
    "cancel_reason",
    "created_at",
    "updated_at",
)
#: The member's figures and the drops' version (one row, `$1` being now) beside each of their
#: claims of the drops asked for (none: one row of figures alone).
_CLAIMS_AND_FIGURES = f"""
    SELECT f.balance, f.pending, f.credited, f.reversed, f.drops_version,
        {", ".join("c." + column for column in _CLAIM_COLUMNS)}
    FROM (
        SELECT {FIGURE_COLUMNS}, (
            SELECT version FROM config_version WHERE name = '{ConfigPart.DROPS.value}'
        ) AS drops_version
        FROM points_entry WHERE member_id = $2
    ) AS f
    LEFT JOIN drop_claim AS c ON c.member_id = $2 AND c.drop_id IN ({{ids}})
    ORDER BY c.id
"""


@dataclass(frozen=True, slots=True)
class ClaimsAndBalance:
    """What the drops screen reads of a member, in one statement."""

    #: The member's claim of each drop asked for (as `member_claims` chooses).
    claims: dict[int, DropClaim]
    balance: int
    #: The drops' version (`DropListing.version` to compare with); None if not read.
    drops_version: int | None


async def claims_and_balance(
    member_id: int, drop_ids: Sequence[int], now: datetime
) -> ClaimsAndBalance:
    """The member's claim for each drop (as `member_claims` chooses), their points balance and
    the drops' version, in one statement (the drops screen shows the first two and checks
    its rows with the third). The claims are built from the row with the model's
    constructor: views to read, not to save."""
    ids = distinct(drop_ids)
    if not ids:
        return ClaimsAndBalance({}, (await figures([member_id], now))[member_id].balance, None)
    return _claims_and_balance_of(
        await for_ids(_CLAIMS_AND_FIGURES, len(ids)).rows(now, member_id, *ids)
    )


async def member_with_claims_and_balance(
    customer_id: str, drop_ids: Sequence[int], now: datetime
) -> tuple[Member, ClaimsAndBalance] | None:
    """The member of `customer_id` (as `get_member` reads it) with what `claims_and_balance`
    reads of them, in one statement; None when no member has that customer id (not created
    yet, or erased)."""
    ids = distinct(drop_ids)
    found = await _with_member(len(ids)).read(now, customer_id, *ids)
    if found is None:
        return None
    member, rows = found
    return member, _claims_and_balance_of(rows)


@lru_cache(maxsize=64)
def _with_member(count: int) -> WithMember:
    """`_CLAIMS_AND_FIGURES` for `count` drops with the member of a customer id (`$2`)."""
    ids = placeholders(count, start=3) if count else "NULL"  # IN (NULL): no claim
    return WithMember(_CLAIMS_AND_FIGURES.format(ids=ids), _FIGURES_AND_CLAIM_COLUMNS, member=2)


_FIGURES_AND_CLAIM_COLUMNS = (
    "balance",
    "pending",
    "credited",
    "reversed",
    "drops_version",
    *_CLAIM_COLUMNS,
)


def _claims_and_balance_of(rows: Sequence[Mapping[str, Any]]) -> ClaimsAndBalance:
    """`claims_and_balance`'s answer from the rows of `_CLAIMS_AND_FIGURES` (any order)."""
    claims = sorted(
        (
            DropClaim(**{column: row[column] for column in _CLAIM_COLUMNS})
            for row in rows
            if row["id"] is not None
        ),
        key=lambda claim: claim.id,  # `_chosen` takes them in id order
    )
    first = rows[0] if rows else None
    return ClaimsAndBalance(
        _chosen(claims),
        figures_of_row(first).balance,
        int(first["drops_version"] or 0) if first is not None else None,
    )


async def announcement_audience(
    drop: Drop, min_tier_level: int, now: datetime, *, after_member_id: int = 0, limit: int = 1000
) -> list[int]:
    """Ids of the members an opening of `drop` for `min_tier_level` and above is for: active,
    at that tier or above, holding the required badge, in the drop's segment as of `now`.
    Paged by id (pass the last id seen)."""
    members = Member.filter(
        tier_level__gte=min_tier_level, erased_at__isnull=True, id__gt=after_member_id
    )
    if drop.required_badge_id is not None:
        holders = MemberBadge.filter(badge_id=drop.required_badge_id).values("member_id")
        members = members.filter(id__in=Subquery(holders))
    if drop.segment_code is not None:
        if not await Segment.exists(code=drop.segment_code):
            return []
        members = members.filter(id__in=await segment_member_ids_query(drop.segment_code, now))
    return list(await members.order_by("id").limit(limit).values_list("id", flat=True))


async def drop_claims_section(member_id: int) -> list[dict[str, Any]]:
    """The member's claims and raffle entries, for the export of their data."""
    names = {
        "drop__code": "dropCode",
        "drop__title": "dropTitle",
        "status": "status",
        "coupon_code": "couponCode",
        "points_spent": "pointsSpent",
        "reserved_until": "reservedUntil",
        "order_id": "orderId",
        "completed_at": "completedAt",
        "cancelled_at": "cancelledAt",
        "cancel_reason": "cancelReason",
        "created_at": "createdAt",
    }
    rows = await DropClaim.filter(member_id=member_id).order_by("id").values(*names)
    return [{names[k]: v for k, v in row.items()} for row in rows]
