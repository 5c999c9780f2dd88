"""The key figures bucket by bucket (weeks or months) over a range, from one SQL statement.

Each bucket's figures are exactly those `program_kpis` gives for the bucket's bounds (the
same definitions, the same derivation: `figures_of`), so a chart and the period's figures
never disagree. The buckets are a small table of bounds (a `VALUES` list) that every part of
the statement joins on its time column and groups by; the events are read once, within the
range, through the same indexes the period's statement uses. Outstanding points at each
bucket's end are the points before the range plus the running sum of the buckets' net
points, added up here rather than re-read per bucket.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.errors import InvalidInput
from domain.kpis.services import ProgramKpis, check_period, figures_of, write_scope
from domain.kpis.statement import SCOPE_TABLE, scope_fills
from domain.points.models import EntryKind
from domain.referrals.models import EngagementKind
from domain.segments.services import segment_members
from domain.sql import Statement, dialect, execute_script, numbered

#: The most buckets one series may have (two years of weeks, ten years of months).
MAX_BUCKETS = 120


class Bucket(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def _add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter)."""
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def buckets(start: datetime, end: datetime, bucket: Bucket, time_zone: str) -> list[Span]:
    """[start, end) cut into weeks (7 days from `start`) or calendar months (from `start`'s
    day and time in the program's time zone, so that a month starting at local midnight
    ends at the next local midnight across a change of daylight saving time). The last
    bucket ends at `end`. `InvalidInput` on `to` past `MAX_BUCKETS` buckets."""
    local = start.astimezone(ZoneInfo(time_zone))
    spans: list[Span] = []
    lower = start
    while lower < end:
        n = len(spans) + 1
        if n > MAX_BUCKETS:
            raise InvalidInput(f"a series has at most {MAX_BUCKETS} buckets", ["to"])
        try:
            upper = (
                start + timedelta(days=7 * n)
                if bucket == Bucket.WEEK
                else _add_months(local, n).astimezone(start.tzinfo)
            )
        except (OverflowError, ValueError):  # past the year 9999: the range's end comes first
            upper = end
        spans.append(Span(lower, min(upper, end)))
        lower = upper
    return spans


#: Members in one pass: the bucket each member joined in and was erased in (-1 before the
#: range, the number of buckets after it), counted per pair and added up per bucket here.
MEMBERS = """
SELECT {joined} AS joined_bucket, {erased} AS erased_bucket, COUNT(*) AS members
FROM member m
WHERE 1 = 1{members_scope}
GROUP BY 1, 2
"""

#: One member's purchases and engagement per bucket and per bucket's previous period. Each
#: join starts from the buckets and searches the event's time index within its bounds.
ACTIVITY = """
SELECT per_member.idx,
       COUNT(CASE WHEN now_events > 0 THEN 1 END) AS active,
       COUNT(CASE WHEN before_events > 0 THEN 1 END) AS active_before,
       COUNT(CASE WHEN now_events > 0 AND before_events > 0 THEN 1 END) AS retained,
       COUNT(CASE WHEN now_orders > 0 THEN 1 END) AS buyers,
       COUNT(CASE WHEN now_orders > 1 THEN 1 END) AS repeat_buyers,
       COALESCE(SUM(now_orders), 0) AS purchases,
       COALESCE(SUM(now_cents), 0) AS gross_cents
FROM (
    SELECT e.idx, e.member_id,
           SUM(e.now_events) AS now_events, SUM(e.before_events) AS before_events,
           SUM(e.now_orders) AS now_orders, SUM(e.now_cents) AS now_cents
    FROM (
        SELECT b.idx, p.member_id,
               SUM(CASE WHEN p.occurred_at >= b.b_start THEN 1 ELSE 0 END) AS now_events,
               SUM(CASE WHEN p.occurred_at < b.b_start THEN 1 ELSE 0 END) AS before_events,
               SUM(CASE WHEN p.occurred_at >= b.b_start THEN 1 ELSE 0 END) AS now_orders,
               SUM(CASE WHEN p.occurred_at >= b.b_start
                        THEN CAST(ROUND(p.amount * 100) AS BIGINT) ELSE 0 END) AS now_cents
        FROM buckets b
        JOIN purchase p ON p.occurred_at >= b.b_before AND p.occurred_at < b.b_end
        WHERE 1 = 1{purchases_scope}
        GROUP BY b.idx, p.member_id
        UNION ALL
        SELECT b.idx, g.member_id,
               SUM(CASE WHEN g.occurred_at >= b.b_start THEN 1 ELSE 0 END) AS now_events,
               SUM(CASE WHEN g.occurred_at < b.b_start THEN 1 ELSE 0 END) AS before_events,
               0 AS now_orders, 0 AS now_cents
        FROM buckets b
        JOIN engagement g ON g.occurred_at >= b.b_before AND g.occurred_at < b.b_end
        WHERE 1 = 1{engagement_scope}
        GROUP BY b.idx, g.member_id
    ) e
    GROUP BY e.idx, e.member_id
) per_member
GROUP BY per_member.idx
"""

REFUNDS = """
SELECT b.idx, COALESCE(SUM(CAST(ROUND(r.amount * 100) AS BIGINT)), 0) AS refund_cents
FROM buckets b
JOIN refund r ON r.created_at >= b.b_start AND r.created_at < b.b_end
JOIN purchase rp ON rp.id = r.purchase_id
WHERE 1 = 1{refunds_scope}
GROUP BY b.idx
"""

POINTS = """
SELECT b.idx,
       COALESCE(SUM(CASE WHEN l.delta > 0 THEN l.delta ELSE 0 END), 0) AS issued,
       COALESCE(SUM(CASE WHEN l.kind = :redeem THEN -l.delta ELSE 0 END), 0) AS redeemed,
       COALESCE(SUM(CASE WHEN l.kind = :expire THEN -l.delta ELSE 0 END), 0) AS expired,
       COALESCE(SUM(l.delta), 0) AS net_points
FROM buckets b
JOIN points_entry l ON l.created_at >= b.b_start AND l.created_at < b.b_end
WHERE 1 = 1{ledger_scope}
GROUP BY b.idx
"""

POINTS_BEFORE = """
SELECT COALESCE(SUM(l.delta), 0) FROM points_entry l
WHERE l.created_at < :first_start{ledger_scope}
"""

SURVEYS = """
SELECT b.idx,
       COUNT(*) AS answers,
       COUNT(CASE WHEN s.score >= :promoter THEN 1 END) AS promoters,
       COUNT(CASE WHEN s.score <= :detractor THEN 1 END) AS detractors
FROM buckets b
JOIN engagement s ON s.occurred_at >= b.b_start AND s.occurred_at < b.b_end
WHERE s.kind = :survey AND s.score IS NOT NULL{surveys_scope}
GROUP BY b.idx
"""

COLUMNS = (
    "active", "active_before", "retained", "buyers",
    "repeat_buyers", "purchases", "gross_cents", "refund_cents", "issued", "redeemed",
    "expired", "net_points", "answers", "promoters", "detractors",
)  # fmt: skip


def _bucket_of(column: str, count: int) -> str:
    """The bucket `column` falls in: -1 before the first, `count` from the end of the last
    (null stays null)."""
    steps = " ".join(f"WHEN {column} < :end_{i} THEN {i}" for i in range(count))
    return (
        f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} < :first_start THEN -1 "
        f"{steps} ELSE {count} END"
    )


def series_statement(count: int, scoped: bool, dialect: str) -> str:
    """The statement for `count` buckets (parameters :start_i, :end_i, :before_i). Its rows
    are the buckets (`kind` 0, by `idx`) then the members' (joined, erased) bucket pairs
    (`kind` 1, `idx` the joined bucket, `erased_bucket` and `members`)."""
    stamp = "CAST({} AS TIMESTAMPTZ)" if dialect == "postgres" else "{}"
    rows = ", ".join(
        f"({i}, {stamp.format(f':start_{i}')}, {stamp.format(f':end_{i}')}, "
        f"{stamp.format(f':before_{i}')})"
        for i in range(count)
    )
    fills = scope_fills(scoped)
    fills["joined"] = _bucket_of("m.joined_at", count)
    fills["erased"] = _bucket_of("m.erased_at", count)
    figures = ", ".join(f"COALESCE({c}, 0) AS {c}" for c in COLUMNS)
    nothing = ", ".join(f"0 AS {c}" for c in COLUMNS)
    body = (
        f"WITH buckets (idx, b_start, b_end, b_before) AS (VALUES {rows}) "
        f"SELECT 0 AS kind, b.idx, NULL AS erased_bucket, 0 AS members, {figures},"
        f" ({POINTS_BEFORE}) AS points_before FROM buckets b"
        f" LEFT JOIN ({ACTIVITY}) activity_part USING (idx)"
        f" LEFT JOIN ({REFUNDS}) refunds_part USING (idx)"
        f" LEFT JOIN ({POINTS}) points_part USING (idx)"
        f" LEFT JOIN ({SURVEYS}) surveys_part USING (idx)"
        f" UNION ALL SELECT 1 AS kind, members_part.joined_bucket AS idx,"
        f" members_part.erased_bucket, members_part.members, {nothing}, 0 AS points_before"
        f" FROM ({MEMBERS}) members_part"
        " ORDER BY 1, 2"
    )
    return body.format(**fills)


def _previous_start(span: Span) -> datetime:
    """The start of the period of the same length just before `span` (the earliest moment
    there is, near the year 1)."""
    try:
        return span.start - (span.end - span.start)
    except OverflowError:
        return datetime.min.replace(tzinfo=span.start.tzinfo)


async def program_kpi_series(
    start: datetime,
    end: datetime,
    bucket: Bucket,
    now: datetime,
    time_zone: str,
    segment_code: str | None = None,
) -> list[ProgramKpis]:
    """The key figures of each week or month of [start, end) (see `buckets`), for every
    member or the members of the segment `segment_code` as of `now`: one statement.

    Raises what `program_kpis` raises for the period, and `InvalidInput` on `to` past
    `MAX_BUCKETS` buckets.
    """
    start, end = check_period(start, end)
    spans = buckets(start, end, bucket, time_zone)
    scope = await segment_members(segment_code, now) if segment_code is not None else None
    values: dict[str, object] = {
        "first_start": spans[0].start,
        "redeem": EntryKind.REDEEM.value,
        "expire": EntryKind.EXPIRE.value,
        "survey": EngagementKind.SURVEY.value,
        "promoter": 9,
        "detractor": 6,
    }
    for i, span in enumerate(spans):
        values[f"start_{i}"] = span.start
        values[f"end_{i}"] = span.end
        values[f"before_{i}"] = _previous_start(span)
    async with in_transaction():
        if scope is not None:
            await write_scope(scope)
        statement, params = numbered(
            series_statement(len(spans), scope is not None, dialect()), values
        )
        rows = await Statement(statement).rows(*params)
        if scope is not None:
            await execute_script(f"DROP TABLE {SCOPE_TABLE}")
    figures = [raw for raw in rows if raw["kind"] == 0]
    pairs = [
        (int(raw["idx"]), raw["erased_bucket"], int(raw["members"]))
        for raw in rows
        if raw["kind"] == 1
    ]
    series: list[ProgramKpis] = []
    outstanding = int(figures[0]["points_before"] or 0) if figures else 0
    for i, (span, raw) in enumerate(zip(spans, figures, strict=True)):
        row = {column: int(raw[column] or 0) for column in COLUMNS}
        # Members at the bucket's end: joined by then, not erased by then.
        row["members"] = sum(
            n for joined, erased, n in pairs if joined <= i and (erased is None or erased > i)
        )
        row["new_members"] = sum(n for joined, _, n in pairs if joined == i)
        row["outstanding_before"] = outstanding
        outstanding += row["net_points"]
        row["outstanding"] = outstanding
        series.append(figures_of(span.start, span.end, row))
    return series
