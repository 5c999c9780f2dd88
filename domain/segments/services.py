"""Use cases of segments: define them, list them, ask who is in them.

Membership is never stored: every question is answered by the one evaluator
(`domain.segments.query.members_matching`) as of the `now` given. Members who erased their
account are in no segment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.achievements.models import Badge
from domain.audit import SYSTEM, Actor, Snapshot, record_change, row_snapshot
from domain.errors import InputErrors, InvalidInput, NotFound
from domain.members.models import Member
from domain.members.validation import check_text
from domain.rewards.models import Reward

# The periodic job lives in its own module; re-exported for the callers that know it here.
from domain.segments.counting import refresh_segment_counts as refresh_segment_counts
from domain.segments.models import Segment
from domain.segments.query import current_members, member_ids_sql, members_matching
from domain.segments.rules import CODE, SegmentRule, check_segment_code
from domain.sql import Statement

ID_BATCH = 1_000


async def upsert_segment(
    code: str, name: str, rule: SegmentRule, now: datetime, actor: Actor = SYSTEM
) -> Segment:
    """Create the segment `code` or replace its name and rule, then count its members.
    Audited as `segment.upsert` by `actor` (its name and rule: the count is a figure).

    Raises `ValidationErrors` naming each field at fault under `input`: `InvalidInput` for a
    malformed code, name or rule (minAge above maxAge, unknown country, non-positive day
    count, ...), `NotFound` for a badge code no badge has.
    """
    problems = InputErrors()
    # A value at fault stays as given: the checks below still read the rule.
    code = problems.check(check_segment_code, code, ["input", "code"]) or code
    name = problems.check(check_text, name, ["input", "name"], max_length=120, min_length=1) or name
    rule = await _checked_rule(rule, problems)
    problems.raise_any()
    async with in_transaction():
        segment = await Segment.filter(code=code).select_for_update().first()
        before = _snapshot(segment) if segment is not None else None
        if segment is None:
            try:
                async with in_transaction():
                    segment = await Segment.create(
                        code=code,
                        name=name,
                        rule=rule.to_json(),
                        created_at=now,
                        updated_at=now,
                    )
            except IntegrityError:
                # Created concurrently under the same code: update that one.
                segment = await Segment.filter(code=code).select_for_update().get()
        segment.name = name
        segment.rule = rule.to_json()
        segment.updated_at = now
        segment.member_count = await members_matching(rule, now).count()
        segment.counted_at = now
        await segment.save()
        await record_change(
            actor, "segment.upsert", "segment", code, before, _snapshot(segment), now
        )
    return segment


async def _checked_rule(rule: SegmentRule, problems: InputErrors) -> SegmentRule:
    """The rule validated, its problems (under `input.rule`) added to `problems` (a rule at
    fault stays as given: the references are still checked)."""
    rule = problems.check(rule.validated) or rule
    if rule.has_badge_code and not await Badge.exists(code=rule.has_badge_code):
        problems.add(
            NotFound(
                f"no badge with code '{rule.has_badge_code}'", ["input", "rule", "hasBadgeCode"]
            )
        )
    likely = rule.likely_to_redeem
    if (
        likely
        and CODE.match(likely.reward_code.strip())
        and not await Reward.exists(code=likely.reward_code.strip())
    ):
        problems.add(
            NotFound(
                f"no reward with code '{likely.reward_code}'",
                ["input", "rule", "likelyToRedeem", "rewardCode"],
            )
        )
    return rule


#: The most members a draft rule is counted up to (`count_draft_rule`).
DRAFT_COUNT_CAP = 100_000


async def count_draft_rule(
    rule: SegmentRule, now: datetime, cap: int = DRAFT_COUNT_CAP
) -> tuple[int, bool]:
    """How many members a rule being edited matches now, counted up to `cap` (one statement,
    stopping at `cap + 1` rows); returns the count and whether it reached the cap. Nothing is
    saved. Raises `ValidationErrors` as `upsert_segment` does for the rule."""
    problems = InputErrors()
    rule = await _checked_rule(rule, problems)
    problems.raise_any()
    sql, params = member_ids_sql(members_matching(rule, now).limit(cap + 1))
    rows = await Statement(f"SELECT COUNT(*) AS size FROM ({sql}) matched").rows(*params)
    size = int(rows[0]["size"])
    return min(size, cap), size > cap


def _snapshot(segment: Segment) -> Snapshot:
    """A segment as the audit log keeps it: its definition, not its last count."""
    return row_snapshot(segment, exclude=("member_count", "counted_at"))


async def list_segments() -> list[Segment]:
    """Every segment, by code, with its stored member count."""
    return await Segment.all().order_by("code")


async def get_segment(code: str, field: Iterable[str] = ("segmentCode",)) -> Segment:
    """The segment with this code; raises `NotFound` (on `field`) when there is none."""
    segment = await Segment.get_or_none(code=code)
    if segment is None:
        raise NotFound(f"no segment with code '{code}'", list(field))
    return segment


def rule_of(segment: Segment) -> SegmentRule:
    return SegmentRule.from_json(segment.rule)


async def segment_members(segment_code: str | None, now: datetime) -> QuerySet[Member]:
    """The members of the segment as of `now`, as a query (`None`: every member who has not
    erased their account). Raises `NotFound` for an unknown code."""
    if segment_code is None:
        return current_members()
    return members_matching(rule_of(await get_segment(segment_code)), now)


async def segment_member_ids_query(segment_code: str | None, now: datetime) -> Subquery:
    """The ids of the segment's members as a SQL subquery, for filters such as
    `Model.filter(member_id__in=await segment_member_ids_query(code, now))`.
    Raises `NotFound` for an unknown code."""
    return Subquery((await segment_members(segment_code, now)).values("id"))


async def segment_member_id_batches(
    segment_code: str | None, now: datetime, batch_size: int = ID_BATCH
) -> AsyncIterator[list[int]]:
    """The ids of the segment's members in ascending batches (for campaigns fanning out).

    The segment is evaluated once, as of `now` (its ids only: about 40 bytes a member), so a
    costly rule is not recomputed for every batch. Raises `NotFound` for an unknown code (on
    the first iteration).
    """
    if batch_size <= 0:
        raise InvalidInput("batch size must be positive")
    members = await segment_members(segment_code, now)
    ids = [int(i) for i in await members.order_by("id").values_list("id", flat=True)]
    for start in range(0, len(ids), batch_size):
        yield ids[start : start + batch_size]


async def member_in_segment(segment_code: str, member_id: int, now: datetime) -> bool:
    """Whether the member meets every condition of the segment as of `now` (the segment's
    query filtered by the member). Raises `NotFound` for an unknown code."""
    members = await segment_members(segment_code, now)
    return await members.filter(id=member_id).exists()


async def members_in_segment(
    segment_code: str, member_ids: Iterable[int], now: datetime
) -> set[int]:
    """Which of `member_ids` are in the segment as of `now`, in one query (for dataloaders).
    Raises `NotFound` for an unknown code."""
    ids = sorted(set(member_ids))
    if not ids:
        await get_segment(segment_code)
        return set()
    members = await segment_members(segment_code, now)
    return {int(i) for i in await members.filter(id__in=ids).values_list("id", flat=True)}


async def count_segment_members(segment_code: str, now: datetime) -> int:
    """The segment's size as of `now`, counted now (the stored `member_count` is cheaper)."""
    return await (await segment_members(segment_code, now)).count()
