"""The key figures week by week and month by month: each bucket is the period's figures."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.kpis.series import Bucket, buckets
from domain.members.models import Member
from domain.points.models import EntryKind, PointsEntry
from domain.purchases.models import Channel, Purchase
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.test_kpis import KPIS, december
from tests.integration.query_counter import counting_statements

FIGURES = """from to members newMembers activeMembers retentionRate repeatPurchaseRate
    purchaseFrequency averageOrderValue averageSpendPerActiveMember revenue pointsIssued
    pointsRedeemed pointsExpired outstandingPoints redemptionRate netPromoterScore"""
SERIES = f"""
query Series($from: DateTime!, $to: DateTime!, $bucket: KpiBucket!, $segmentCode: String) {{
  programKpiSeries(from: $from, to: $to, bucket: $bucket, segmentCode: $segmentCode) {{
    {FIGURES}
  }}
}}"""


async def series(api: GraphQLClient, **variables: Any) -> list[dict[str, Any]]:
    return list(data(await api.admin(SERIES, variables))["programKpiSeries"])


async def period(api: GraphQLClient, bucket: dict[str, Any], segment: str | None = None) -> Any:
    variables = {"from": bucket["from"], "to": bucket["to"], "segmentCode": segment}
    return data(await api.admin(KPIS, variables))["programKpis"]


async def test_monthly_buckets_hold_each_months_figures(api: GraphQLClient) -> None:
    await december()
    months = await series(
        api, **{"from": "2025-10-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "bucket": "MONTH"}
    )
    assert [(m["from"], m["to"]) for m in months] == [
        ("2025-10-01T00:00:00+00:00", "2025-11-01T00:00:00+00:00"),
        ("2025-11-01T00:00:00+00:00", "2025-12-01T00:00:00+00:00"),
        ("2025-12-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"),
    ]
    october, november, december_ = months
    assert october["activeMembers"] == 0 and october["revenue"] == "0.00"
    assert october["members"] == 2  # Ana (June) and Cid (January)
    assert november["activeMembers"] == 2 and november["revenue"] == "55.00"
    assert november["outstandingPoints"] == 100
    assert december_["revenue"] == "113.00" and december_["retentionRate"] == 0.5
    assert december_["outstandingPoints"] == 73  # 100 + 60 + 33 - 120
    assert december_["netPromoterScore"] == 0.0
    for month in months:
        assert month == await period(api, month)


async def test_weekly_buckets_equal_the_figures_of_each_week_with_a_segment(
    api: GraphQLClient,
) -> None:
    await december()
    upsert = """mutation { upsertSegment(input: {code: "es", name: "Spain",
        rule: {countries: ["ES"]}}) { userErrors { code } } }"""
    assert data(await api.admin(upsert))["upsertSegment"]["userErrors"] == []
    for segment in (None, "es"):
        weeks = await series(
            api,
            **{
                "from": "2025-11-17T00:00:00Z",
                "to": "2025-12-25T00:00:00Z",
                "bucket": "WEEK",
                "segmentCode": segment,
            },
        )
        assert len(weeks) == 6 and weeks[-1]["to"] == "2025-12-25T00:00:00+00:00"
        assert sum(Decimal(w["revenue"]) for w in weeks) == (
            Decimal("113.00") + 55 if segment is None else Decimal("40.00") + 15 + 60 + 20
        )
        for week in weeks:
            assert week == await period(api, week, segment)


async def test_months_follow_the_program_time_zone() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC) - timedelta(hours=1)  # midnight in Madrid
    spans = buckets(start, start + timedelta(days=61), Bucket.MONTH, "Europe/Madrid")
    # Summer time starts on 29 March: April begins at 22:00 UTC.
    assert spans[1].start == datetime(2026, 3, 31, 22, tzinfo=UTC)
    clamped = buckets(
        datetime(2026, 1, 31, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), Bucket.MONTH, "UTC"
    )
    assert [s.start.day for s in clamped] == [31, 28, 31]


async def test_bad_ranges_are_the_clients_error(api: GraphQLClient) -> None:
    too_many = await api.admin(
        SERIES, {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "bucket": "WEEK"}
    )
    assert error_codes(too_many) == ["INVALID_INPUT"]
    reversed_ = await api.admin(
        SERIES, {"from": "2026-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z", "bucket": "MONTH"}
    )
    assert error_codes(reversed_) == ["INVALID_INPUT"]
    member_token = await api.member(
        "alice",
        SERIES,
        {"from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "bucket": "MONTH"},
    )
    assert error_codes(member_token) == ["FORBIDDEN"]


async def test_a_year_of_weeks_over_thousands_of_members_is_one_statement_under_a_second(
    api: GraphQLClient,
) -> None:
    rng = random.Random(7)
    start = datetime(2025, 1, 6, tzinfo=UTC)
    await Member.bulk_create(
        [
            Member(
                customer_id=f"m{n}",
                display_name=f"M {n}",
                referral_code=f"R{n:07d}",
                joined_at=start - timedelta(days=rng.randrange(400)),
            )
            for n in range(3000)
        ],
        batch_size=500,
    )
    ids = [m for m in await Member.all().values_list("id", flat=True)]
    purchases, entries = [], []
    for n in range(9000):
        at = start + timedelta(minutes=rng.randrange(364 * 24 * 60))
        owner = rng.choice(ids)
        purchases.append(
            Purchase(
                order_id=f"o{n}",
                member_id=owner,
                amount=Decimal(rng.randrange(500, 20000)) / 100,
                currency="EUR",
                channel=Channel.APP,
                occurred_at=at,
                recorded_at=at,
            )
        )
        entries.append(
            PointsEntry(
                member_id=owner,
                kind=EntryKind.EARN,
                delta=rng.randrange(5, 200),
                description="x",
                created_at=at,
            )
        )
    await Purchase.bulk_create(purchases, batch_size=1000)
    await PointsEntry.bulk_create(entries, batch_size=1000)
    variables = {"from": "2025-01-06T00:00:00Z", "to": "2026-01-05T00:00:00Z", "bucket": "WEEK"}
    await series(api, **variables)  # warm the caches of the first request
    began = time.perf_counter()
    with counting_statements() as statements:
        weeks = await series(api, **variables)
    elapsed = time.perf_counter() - began
    assert len(weeks) == 52
    assert len(statements) == 1, statements.sql
    assert elapsed < 1.0, elapsed
    assert sum(w["pointsIssued"] for w in weeks) == sum(e.delta for e in entries)
    assert weeks[-1]["outstandingPoints"] == sum(e.delta for e in entries)
    assert weeks[20] == await period(api, weeks[20])
