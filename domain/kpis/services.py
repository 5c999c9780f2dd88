"""The program's key figures over a period, computed by the database.

All figures come from one SQL statement (`domain.kpis.statement`) of aggregates: nothing is
loaded row by row into Python, whatever the program's size. A segment's members come from the
segments' one evaluator, run once into a temporary table inside the same transaction. `domain.kpis.definitions` says precisely what each
figure means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.errors import InvalidInput
from domain.kpis.statement import SCOPE_TABLE, kpi_statement
from domain.members.models import Member
from domain.points.models import EntryKind
from domain.referrals.models import EngagementKind
from domain.segments.query import member_ids_sql
from domain.segments.services import segment_members
from domain.sql import Statement, dialect, execute_script, numbered

#: The longest period one request may cover (about ten years).
MAX_PERIOD = timedelta(days=3_660)
CENT = Decimal("0.01")
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


@dataclass(frozen=True)
class ProgramKpis:
    """The figures of `domain.kpis.definitions.KPI_DEFINITIONS`, under snake_case names."""

    start: datetime
    end: datetime
    members: int
    new_members: int
    active_members: int
    retention_rate: float | None
    repeat_purchase_rate: float | None
    purchase_frequency: float | None
    average_order_value: Decimal | None
    average_spend_per_active_member: Decimal | None
    revenue: Decimal
    points_issued: int
    points_redeemed: int
    points_expired: int
    outstanding_points: int
    redemption_rate: float | None
    net_promoter_score: float | None


async def program_kpis(
    start: datetime, end: datetime, now: datetime, segment_code: str | None = None
) -> ProgramKpis:
    """The key figures over [start, end), for every member or for the members of the segment
    `segment_code` as of `now`, from one SQL statement.

    Raises `InvalidInput` on `from` or `to` when a bound has no time zone, on `to` when the
    period is empty, reversed or longer than about ten years, and `NotFound` on `segmentCode`
    for an unknown segment.
    """
    start, end = check_period(start, end)
    scope = await segment_members(segment_code, now) if segment_code is not None else None
    async with in_transaction():
        if scope is not None:
            await write_scope(scope)
        statement, params = numbered(
            kpi_statement(scoped=scope is not None),
            {
                "start": start,
                "end": end,
                "before": start - (end - start),
                "redeem": EntryKind.REDEEM.value,
                "expire": EntryKind.EXPIRE.value,
                "survey": EngagementKind.SURVEY.value,
                "promoter": PROMOTER_MIN,
                "detractor": DETRACTOR_MAX,
            },
        )
        rows = await Statement(statement).rows(*params)
        if scope is not None:
            await execute_script(f"DROP TABLE {SCOPE_TABLE}")
    row = {key: int(value or 0) for key, value in rows[0].items()}
    return figures_of(start, end, row)


def figures_of(start: datetime, end: datetime, row: dict[str, int]) -> ProgramKpis:
    """The key figures of [start, end) from the statement's aggregates (the columns of
    `domain.kpis.statement`): the one derivation of rates and amounts, shared by the
    figures of a period and of each bucket of a series."""
    gross_cents, net_cents = row["gross_cents"], row["gross_cents"] - row["refund_cents"]
    active, purchases = row["active"], row["purchases"]
    available = row["outstanding_before"] + row["issued"]
    return ProgramKpis(
        start=start,
        end=end,
        members=row["members"],
        new_members=row["new_members"],
        active_members=active,
        retention_rate=_ratio(row["retained"], row["active_before"]),
        repeat_purchase_rate=_ratio(row["repeat_buyers"], row["buyers"]),
        purchase_frequency=_ratio(purchases, active),
        average_order_value=_money_per(gross_cents, purchases),
        average_spend_per_active_member=_money_per(net_cents, active),
        revenue=_money(net_cents),
        points_issued=row["issued"],
        points_redeemed=row["redeemed"],
        points_expired=row["expired"],
        outstanding_points=row["outstanding"],
        redemption_rate=_ratio(row["redeemed"], available) if available > 0 else None,
        net_promoter_score=(
            (row["promoters"] - row["detractors"]) * 100 / row["answers"]
            if row["answers"]
            else None
        ),
    )


def check_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The bounds in UTC; `InvalidInput` on `from`/`to` without a time zone, on `to` for an
    empty, reversed or too long period."""
    for bound, name in ((start, "from"), (end, "to")):
        if bound.tzinfo is None or bound.utcoffset() is None:
            raise InvalidInput(f"`{name}` needs a time zone, e.g. 2026-03-01T00:00:00Z", [name])
    # Stored times are UTC: compare in UTC (SQLite compares them as text).
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise InvalidInput("`to` must be after `from`", ["to"])
    if end - start > MAX_PERIOD:
        raise InvalidInput("a period covers at most 3660 days", ["to"])
    return start, end


async def write_scope(members: QuerySet[Member]) -> None:
    """The segment's member ids into a temporary table of the current transaction's
    connection, evaluated once; on PostgreSQL analysed, so that the planner knows its size."""
    sql, params = member_ids_sql(members)
    await execute_script(f"DROP TABLE IF EXISTS {SCOPE_TABLE}")
    await execute_script(f"CREATE TEMPORARY TABLE {SCOPE_TABLE} (id BIGINT PRIMARY KEY)")
    await Statement(f"INSERT INTO {SCOPE_TABLE} (id) {sql}").execute(*params)
    if dialect() == "postgres":
        await execute_script(f"ANALYZE {SCOPE_TABLE}")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _money_per(cents: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(cents) / 100 / count).quantize(CENT, rounding=ROUND_HALF_UP)
