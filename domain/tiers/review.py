"""The daily tier review, reading only the members whose qualifying points moved.

A member's qualifying points (`domain.tiers.qualification`) change for two reasons only: an
entry of a qualifying kind is written (a purchase, a bonus, a refund's reversal, an
adjustment), or an entry leaves the rolling window as time passes. Between two reviews at
`last` and `now`, the members to place again are therefore those with a qualifying entry

- written since the last review: `created_at` in (`last` - `LATE_COMMIT_MARGIN`, `now`] (the
  margin covers a transaction that took its time before `now` was set and committed after
  the last review read), or
- aged out since: `created_at` in (window_start(`last`), window_start(`now`)].

Both are ranges of the ledger's `created_at` index, so a review reads what changed, not every
member. Everyone else holds the tier the last review (or an upgrade since, which never moves
anyone past their points) gave them. What no entry tells (a new ladder, a new window length)
is a change for every member: the review walks them all once, when the fingerprint of the
ladder's version and the window differs from the last run's (`domain.watermarks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from domain.members.models import Member
from domain.points.ledger import lock_member
from domain.points.rules import earning_rules
from domain.sql import Statement, literals
from domain.tiers.ladder import qualified_rung
from domain.tiers.models import Tier
from domain.tiers.qualification import QUALIFYING_KINDS, qualifying_points, window_start
from domain.tiers.services import REVIEW_BATCH, place_member, tier_ladder
from domain.versions import ConfigPart, read_versions
from domain.watermarks import read_watermark, save_watermark

JOB = "tier-review"
LATE_COMMIT_MARGIN = timedelta(hours=1)

_KINDS = literals(k.value for k in QUALIFYING_KINDS)
_CHANGED = Statement(f"""
    SELECT DISTINCT e.member_id FROM points_entry e
    JOIN member m ON m.id = e.member_id AND m.erased_at IS NULL
    WHERE e.kind IN ({_KINDS})
        AND ((e.created_at > $1 AND e.created_at <= $2)
            OR (e.created_at > $3 AND e.created_at <= $4))
    ORDER BY e.member_id
""")
_EVERYONE = Statement("""
    SELECT id FROM member WHERE erased_at IS NULL AND id > $1 ORDER BY id LIMIT $2
""")


@dataclass(frozen=True)
class TierReview:
    """What a review did: every member it placed again, and how many changed tier."""

    full: bool
    examined: tuple[int, ...]
    changed: int


async def review_changed_tiers(now: datetime) -> int:
    """The scheduled job: `review_changes` at `now`; returns how many members changed tier."""
    return (await review_changes(now)).changed


async def review_changes(now: datetime, *, batch_size: int = REVIEW_BATCH) -> TierReview:
    """Place again, on the tier their window supports, the members whose qualifying points
    moved since the last review (all members on a first run or after a change of the ladder
    or of the window), moving them down or up. Each change is its own transaction with the
    member locked, raising `TierChanged`. Idempotent: a second review at `now` changes nothing.
    """
    versions = await read_versions()
    rules = await earning_rules()
    months = rules.tier_window_months
    fingerprint = f"tiers={versions.get(ConfigPart.TIERS.value, 0)};window={months}"
    ladder = await tier_ladder()
    mark = await read_watermark(JOB)
    full = mark is None or mark.fingerprint != fingerprint or mark.done_until > now
    examined: list[int] = []
    changed = 0
    if full:
        after = 0
        while True:
            rows = await _EVERYONE.rows(after, batch_size)
            if not rows:
                break
            batch = [int(r["id"]) for r in rows]
            after = batch[-1]
            changed += await _place(batch, ladder, now, months)
            examined.extend(batch)
    else:
        assert mark is not None
        last = mark.done_until
        rows = await _CHANGED.rows(
            window_start(last, months),
            window_start(now, months),
            last - LATE_COMMIT_MARGIN,
            now,
        )
        ids = [int(r["member_id"]) for r in rows]
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            changed += await _place(batch, ladder, now, months)
            examined.extend(batch)
    await save_watermark(JOB, now, fingerprint)
    return TierReview(full=full, examined=tuple(examined), changed=changed)


async def _place(
    member_ids: Sequence[int], ladder: Sequence[Tier], now: datetime, months: int
) -> int:
    """Move each of these members to the rung their points support; how many changed."""
    points = await qualifying_points(member_ids, now, months)
    held = {
        row[0]: (row[1], row[2])
        for row in await Member.filter(id__in=list(member_ids)).values_list(
            "id", "tier_code", "tier_level"
        )
    }
    changed = 0
    for member_id in member_ids:
        if member_id not in held:
            continue
        target = qualified_rung(list(ladder), points[member_id])
        if held.get(member_id) == (target.code, target.level):
            continue
        async with in_transaction():
            locked = await lock_member(member_id)
            # Re-read under the lock: a purchase may have upgraded the member meanwhile.
            fresh = (await qualifying_points([member_id], now, months))[member_id]
            if await place_member(locked, qualified_rung(list(ladder), fresh), now):
                changed += 1
    return changed
