"""Key figures through GraphQL: the contract's query, a segment, descriptions, errors."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.kpis.definitions import KPI_DEFINITIONS
from domain.points.models import EntryKind, PointsEntry
from domain.referrals.models import EngagementKind
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.integration.member_history import engagement, member, purchase, refund

KPIS = """
query ProgramKpis($from: DateTime!, $to: DateTime!, $segmentCode: String) {
  programKpis(from: $from, to: $to, segmentCode: $segmentCode) {
    from to members newMembers activeMembers retentionRate repeatPurchaseRate purchaseFrequency
    averageOrderValue averageSpendPerActiveMember revenue pointsIssued pointsRedeemed pointsExpired
    outstandingPoints redemptionRate netPromoterScore
  }
}"""
UPSERT = """
mutation UpsertSegment($input: SegmentInput!) {
  upsertSegment(input: $input) { segment { memberCount } userErrors { code field message } }
}"""
DECEMBER = {"from": "2025-12-01T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"}


def dec(day: int) -> datetime:
    return datetime(2025, 12, day, 12, tzinfo=UTC)


async def december() -> None:
    """Two members active in December, one in November; one purchase refunded in part."""
    ana = await member(datetime(2025, 6, 1, tzinfo=UTC), country="ES")
    ben = await member(dec(3), country="FR")
    cid = await member(datetime(2025, 1, 1, tzinfo=UTC), country="ES")
    await purchase(ana, "40.00", datetime(2025, 11, 20, tzinfo=UTC))
    await purchase(cid, "15.00", datetime(2025, 11, 21, tzinfo=UTC))
    await purchase(ana, "60.00", dec(5))
    bought = await purchase(ana, "25.50", dec(18))
    await refund(bought, "5.50", dec(20))
    await purchase(ben, "33.00", dec(10))
    await engagement(ben, dec(11), kind=EngagementKind.SURVEY, score=10)
    await engagement(ana, dec(12), kind=EngagementKind.SURVEY, score=4)
    for owner, kind, delta, at in (
        (ana, EntryKind.EARN, 100, datetime(2025, 11, 20, tzinfo=UTC)),
        (ana, EntryKind.EARN, 60, dec(5)),
        (ben, EntryKind.EARN, 33, dec(10)),
        (ana, EntryKind.REDEEM, -120, dec(19)),
    ):
        await PointsEntry.create(
            member_id=owner.id,
            kind=kind,
            delta=delta,
            remaining=max(delta, 0),
            description="x",
            created_at=at,
            available_at=at,
        )


async def test_the_admin_reads_the_key_figures_of_a_month(api: GraphQLClient) -> None:
    await december()

    kpis = data(await api.admin(KPIS, DECEMBER))["programKpis"]

    assert kpis == {
        "from": "2025-12-01T00:00:00+00:00",
        "to": "2026-01-01T00:00:00+00:00",
        "members": 3,
        "newMembers": 1,
        "activeMembers": 2,  # Ana and Ben
        "retentionRate": 0.5,  # November: Ana, Cid; again: Ana
        "repeatPurchaseRate": 0.5,  # Ana twice, Ben once
        "purchaseFrequency": 1.5,
        "averageOrderValue": "39.50",  # (60 + 25.50 + 33) / 3
        "averageSpendPerActiveMember": "56.50",  # (118.50 - 5.50) / 2
        "revenue": "113.00",
        "pointsIssued": 93,
        "pointsRedeemed": 120,
        "pointsExpired": 0,
        "outstandingPoints": 73,  # 100 + 93 - 120
        "redemptionRate": 120 / 193,
        "netPromoterScore": 0.0,  # one promoter, one detractor
    }


async def test_the_figures_of_a_segment_count_only_its_members(api: GraphQLClient) -> None:
    await december()
    rule = {"code": "spain", "name": "Spain", "rule": {"countries": ["ES"]}}
    assert data(await api.admin(UPSERT, {"input": rule}))["upsertSegment"]["userErrors"] == []

    kpis = data(await api.admin(KPIS, {**DECEMBER, "segmentCode": "spain"}))["programKpis"]

    assert (kpis["members"], kpis["activeMembers"], kpis["revenue"]) == (2, 1, "80.00")
    assert (kpis["pointsIssued"], kpis["outstandingPoints"], kpis["netPromoterScore"]) == (
        60,
        40,
        -100.0,
    )


async def test_each_figure_is_documented_in_the_schema(api: GraphQLClient) -> None:
    query = '{ __type(name: "ProgramKpis") { description fields { name description } } }'
    described = data(await api.admin(query))["__type"]
    assert "[from, to)" in described["description"]
    assert {f["name"]: f["description"] for f in described["fields"]} == KPI_DEFINITIONS


async def test_a_wrong_period_or_segment_is_a_client_error(api: GraphQLClient) -> None:
    reversed_ = {"from": DECEMBER["to"], "to": DECEMBER["from"]}
    naive = {"from": "2025-12-01T00:00:00", "to": "2026-01-01T00:00:00"}
    unknown = {**DECEMBER, "segmentCode": "nope"}
    assert error_codes(await api.admin(KPIS, reversed_)) == ["INVALID_INPUT"]
    assert error_codes(await api.admin(KPIS, naive)) == ["INVALID_INPUT"]
    assert error_codes(await api.admin(KPIS, unknown)) == ["NOT_FOUND"]


async def test_only_admins_read_the_key_figures(api: GraphQLClient) -> None:
    assert error_codes(await api.member("ana", KPIS, DECEMBER)) == ["FORBIDDEN"]
    assert error_codes(await api.service(KPIS, DECEMBER)) == ["FORBIDDEN"]
    assert error_codes(await api.post(KPIS, DECEMBER)) == ["UNAUTHENTICATED"]
