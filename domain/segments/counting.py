"""The segment counts job, re-examining only the members whose inputs changed.

A segment's rule (`domain.segments.query`) reads the member's row (tier, country, city, birth
date, erasure), their kept purchases and their badges. Between two runs at `last` and `now`,
a member can enter or leave a segment only if

- they joined, or a column of their row that rules read changed (`member.inputs_changed_at`,
  stamped by every writer of those columns: profile, tier, erasure),
- a purchase of theirs was recorded, or its time came (`occurred_at` passed), or refunded,
- they earned a badge,
- or, for the rules that depend on the clock: their age crossed a bound (birth dates between
  the bounds of `last` and those of `now`), or a purchase of theirs crossed the start of a
  "purchased within N days" window.

All of these are index ranges, so a run reads what changed, not every member. Each segment
keeps its members as of its last count (`SegmentMember`): the changed members are evaluated
by the rule and compared with it, and the stored count moves by the difference. A segment
whose rule changed (its `updated_at`), or that was never counted this way, or whose badge
catalogue changed, is counted whole once. Each segment is handled in its own transaction with
its row locked, reading its watermark inside it, so workers running the job together never
apply the same change twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from tortoise.transactions import in_transaction

from domain.segments.models import Segment, SegmentMember
from domain.segments.query import member_ids_sql, members_matching
from domain.segments.rules import SegmentRule
from domain.sql import Statement, as_datetime, dialect
from domain.versions import ConfigPart, Versions, read_versions
from domain.watermarks import read_watermark, save_watermark

JOB = "segment-counts"
#: Changes are read from this long before the last run: a transaction that stamped its rows
#: before the last run read them, and committed after, is seen by the next run.
LATE_COMMIT_MARGIN = timedelta(hours=1)
BATCH = 500

#: Members whose inputs changed in ($1, $2] (a purchase's time coming counts as a change).
_CHANGED = Statement("""
    SELECT id AS member_id FROM member WHERE joined_at > $1 AND joined_at <= $2
    UNION SELECT id FROM member WHERE inputs_changed_at > $1 AND inputs_changed_at <= $2
    UNION SELECT member_id FROM purchase WHERE recorded_at > $1 AND recorded_at <= $2
    UNION SELECT member_id FROM purchase WHERE occurred_at > $1 AND occurred_at <= $2
    UNION SELECT p.member_id FROM refund r JOIN purchase p ON p.id = r.purchase_id
        WHERE r.created_at > $1 AND r.created_at <= $2
    UNION SELECT member_id FROM member_badge WHERE earned_at > $1 AND earned_at <= $2
""")
_PURCHASED_BETWEEN = Statement("""
    SELECT DISTINCT member_id FROM purchase WHERE occurred_at > $1 AND occurred_at <= $2
""")
_BORN_BETWEEN = Statement("""
    SELECT id AS member_id FROM member WHERE birth_date > $1 AND birth_date <= $2
""")
_STORED = Statement("SELECT COUNT(*) AS size FROM segment_member WHERE segment_id = $1")
_LOCK = {
    "postgres": Statement("SELECT updated_at FROM segment WHERE id = $1 FOR UPDATE"),
    # SQLite's transactions are exclusive already.
    "sqlite": Statement("SELECT updated_at FROM segment WHERE id = $1"),
}


def _job(segment: Segment) -> str:
    return f"{JOB}:{segment.id}"


def _fingerprint(segment: Segment, rule: SegmentRule, versions: Versions) -> str:
    """What a segment's membership depends on beyond its members' own inputs: its rule, the
    badge catalogue and, for a "likely to redeem" rule, the recommender's served version (a
    retraining moves members in and out with no change of theirs)."""
    achievements = versions.get(ConfigPart.ACHIEVEMENTS.value, 0)
    fingerprint = f"rule@{segment.updated_at.isoformat()};achievements={achievements}"
    if rule.likely_to_redeem is not None:
        fingerprint += f";recommendations={versions.get(ConfigPart.RECOMMENDATIONS.value, 0)}"
    return fingerprint


async def refresh_segment_counts(now: datetime) -> int:
    """The periodic job: bring every segment's stored count (and members) up to `now`,
    reading only the members whose inputs changed since its last run (every member of a
    segment counted for the first time or whose rule changed). Returns how many segments
    were brought up to date."""
    versions = await read_versions()
    changed_since: dict[datetime, list[int]] = {}
    counted = 0
    for segment in await Segment.all().order_by("id"):
        if await _refresh(segment, now, versions, changed_since):
            counted += 1
    return counted


async def _refresh(
    segment: Segment,
    now: datetime,
    versions: Versions,
    changed_since: dict[datetime, list[int]],
) -> bool:
    rule = SegmentRule.from_json(segment.rule)
    fingerprint = _fingerprint(segment, rule, versions)
    async with in_transaction():
        locked = await _LOCK[dialect()].rows(segment.id)
        if not locked or as_datetime(locked[0]["updated_at"]) != as_datetime(segment.updated_at):
            return False  # deleted or replaced meanwhile: the next run counts it whole
        mark = await read_watermark(_job(segment))
        if mark is None or mark.fingerprint != fingerprint:
            size = await _count_whole(segment, rule, now)
        elif mark.done_until >= now:
            return True  # another run got here first
        else:
            last = mark.done_until
            if last not in changed_since:
                changed_since[last] = [
                    int(r["member_id"]) for r in await _CHANGED.rows(last - LATE_COMMIT_MARGIN, now)
                ]
            ids = set(changed_since[last]) | await _moved_by_the_clock(rule, last, now)
            delta = await _recount(segment, rule, sorted(ids), now)
            size = segment.member_count + delta
        await Segment.filter(id=segment.id).update(member_count=size, counted_at=now)
        segment.member_count = size
        await save_watermark(_job(segment), now, fingerprint)
    return True


async def _count_whole(segment: Segment, rule: SegmentRule, now: datetime) -> int:
    """Replace the segment's stored members with every member its rule matches now."""
    await SegmentMember.filter(segment_id=segment.id).delete()
    sql, params = member_ids_sql(members_matching(rule, now))
    await Statement(
        f"INSERT INTO segment_member (member_id, segment_id) "
        f"SELECT matched.id, {int(segment.id)} FROM ({sql}) matched"
    ).execute(*params)
    # Counted apart: drivers differ in what an INSERT ... SELECT reports (asyncpg: nothing).
    return int((await _STORED.rows(segment.id))[0]["size"])


async def _recount(
    segment: Segment, rule: SegmentRule, member_ids: Sequence[int], now: datetime
) -> int:
    """Evaluate the rule for `member_ids` only, store who entered and left; the change in
    the segment's size."""
    delta = 0
    for start in range(0, len(member_ids), BATCH):
        batch = list(member_ids[start : start + BATCH])
        matching = set(
            await members_matching(rule, now).filter(id__in=batch).values_list("id", flat=True)
        )
        stored = set(
            await SegmentMember.filter(segment_id=segment.id, member_id__in=batch).values_list(
                "member_id", flat=True
            )
        )
        entered, left = sorted(matching - stored), sorted(stored - matching)
        if entered:
            await SegmentMember.bulk_create(
                [SegmentMember(segment_id=segment.id, member_id=m) for m in entered]
            )
        if left:
            await SegmentMember.filter(segment_id=segment.id, member_id__in=left).delete()
        delta += len(entered) - len(left)
    return delta


async def _moved_by_the_clock(rule: SegmentRule, last: datetime, now: datetime) -> set[int]:
    """Members whom time alone may have moved in or out of the rule between `last` and `now`:
    an age bound crossed, a purchase crossing a look-back window's start."""
    found: set[int] = set()
    for days in (rule.purchased_within_days, rule.not_purchased_within_days):
        if days is not None:
            window = timedelta(days=days)
            rows = await _PURCHASED_BETWEEN.rows(last - window - LATE_COMMIT_MARGIN, now - window)
            found.update(int(r["member_id"]) for r in rows)
    if last.date() != now.date():
        for before, after in _bound_shifts(rule, last.date(), now.date()):
            rows = await _BORN_BETWEEN.rows(before, after)
            found.update(int(r["member_id"]) for r in rows)
    return found


def _bound_shifts(rule: SegmentRule, then: date, today: date) -> Iterable[tuple[date, date]]:
    """The birth-date ranges whose members' age matched differently on `then` and `today`."""
    for old, new in zip(rule.birth_date_bounds(then), rule.birth_date_bounds(today), strict=True):
        if old is not None and new is not None and old != new:
            yield min(old, new), max(old, new)
