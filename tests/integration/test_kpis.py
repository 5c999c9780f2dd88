"""The key figures, each computed by hand on a small fixed program and compared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import InvalidInput, NotFound
from domain.kpis.services import ProgramKpis, program_kpis
from domain.members.models import Member
from domain.points.models import EntryKind, PointsEntry
from domain.referrals.models import EngagementKind
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from tests.integration.member_history import engagement, member, purchase, refund

pytestmark = pytest.mark.usefixtures("db")

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 4, 15, tzinfo=UTC)


def day(month: int, day_: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day_, hour, tzinfo=UTC)


async def entry(owner: Member, kind: EntryKind, delta: int, at: datetime) -> None:
    await PointsEntry.create(
        member_id=owner.id,
        kind=kind,
        delta=delta,
        remaining=max(delta, 0),
        description=kind.value.lower(),
        created_at=at,
        available_at=at if delta > 0 else None,
    )


async def fixed_program() -> dict[str, Member]:
    """March 2026 is the period; the previous period of the same length (31 days) is
    [29 January, 1 March)."""
    ana = await member(datetime(2025, 6, 1, tzinfo=UTC), country="ES")
    bea = await member(datetime(2026, 2, 15, tzinfo=UTC), country="FR")
    cai = await member(day(3, 10), country="ES")
    dan = await member(datetime(2025, 1, 1, tzinfo=UTC), country="PT")
    eva = await member(datetime(2025, 1, 1, tzinfo=UTC), country="ES", erased_at=day(3, 20))
    fay = await member(APRIL, country="ES")  # joined at the period's end: not in it
    gus = await member(datetime(2024, 1, 1, tzinfo=UTC), erased_at=day(4, 10))

    # Ana: active before and during March, one refund in March.
    await purchase(ana, "100.00", day(2, 10))
    await purchase(ana, "50.00", day(3, 5))
    ana_second = await purchase(ana, "30.25", day(3, 20))
    await refund(ana_second, "10.00", day(3, 25))
    await engagement(ana, day(2, 20), kind=EngagementKind.SURVEY, score=9)
    await engagement(ana, day(3, 6), kind=EngagementKind.SURVEY, score=10)
    # Bea: active only before March; her February purchase is refunded in March.
    bea_order = await purchase(bea, "20.00", day(2, 20))
    await refund(bea_order, "20.00", day(3, 2))
    # Cai: joined and bought in March; refunded in April (outside the period).
    cai_order = await purchase(cai, "80.10", day(3, 12))
    await refund(cai_order, "5.00", day(4, 2))
    await engagement(cai, day(3, 15), kind=EngagementKind.SURVEY, score=7)
    await engagement(cai, day(3, 16), kind=EngagementKind.REVIEW, score=2)
    # Dan: shares only, before and during March; a detractor.
    await engagement(dan, day(2, 1))
    await engagement(dan, day(3, 3))
    await engagement(dan, day(3, 3, 13), kind=EngagementKind.SURVEY, score=3)
    # Eva: bought at the very start of March, then erased her account.
    await purchase(eva, "40.00", MARCH)
    await engagement(eva, day(3, 2), kind=EngagementKind.SURVEY, score=9)
    # Fay: bought on 1 April.
    await purchase(fay, "999.00", APRIL)

    await entry(ana, EntryKind.EARN, 100, day(2, 10))
    await entry(ana, EntryKind.EARN, 50, day(3, 5))
    await entry(ana, EntryKind.REDEEM, -80, day(3, 15))
    await entry(ana, EntryKind.REVERSAL, -10, day(3, 25))
    await entry(ana, EntryKind.ADJUST, -5, day(3, 28))
    await entry(ana, EntryKind.EARN, 30, day(4, 2))
    await entry(cai, EntryKind.EARN, 80, day(3, 12))
    await entry(cai, EntryKind.ENGAGEMENT, 25, day(3, 15))
    await entry(dan, EntryKind.BONUS, 200, datetime(2025, 12, 1, tzinfo=UTC))
    await entry(dan, EntryKind.EXPIRE, -200, day(3, 2))
    await entry(eva, EntryKind.EARN, 40, MARCH)
    return {"ana": ana, "bea": bea, "cai": cai, "dan": dan, "eva": eva, "fay": fay, "gus": gus}


async def test_every_figure_of_the_whole_program_matches_the_hand_computation() -> None:
    await fixed_program()

    kpis = await program_kpis(MARCH, APRIL, NOW)

    assert kpis == ProgramKpis(
        start=MARCH,
        end=APRIL,
        # Ana, Bea, Cai, Dan, Gus (erased after April 1). Eva was erased in March; Fay
        # joined at the end.
        members=5,
        new_members=1,  # Cai
        active_members=4,  # Ana, Cai, Dan (shares), Eva (bought at 1 March 00:00)
        retention_rate=2 / 3,  # before: Ana, Bea, Dan; again: Ana, Dan
        repeat_purchase_rate=1 / 3,  # buyers Ana, Cai, Eva; twice: Ana
        purchase_frequency=4 / 4,
        average_order_value=Decimal("50.09"),  # (50 + 30.25 + 80.10 + 40) / 4 = 50.0875
        # 200.35 bought in March - 30.00 refunded in March (Ana 10, Bea 20)
        revenue=Decimal("170.35"),
        average_spend_per_active_member=Decimal("42.59"),  # 170.35 / 4 = 42.5875
        points_issued=195,  # 50 + 80 + 25 + 40
        points_redeemed=80,
        points_expired=200,
        outstanding_points=200,  # 300 at the start + 195 - 80 - 10 - 5 - 200
        redemption_rate=80 / (300 + 195),
        # Ana 10, Cai 7, Dan 3, Eva 9: 2 promoters, 1 detractor out of 4 answers
        net_promoter_score=25.0,
    )


async def test_every_figure_of_a_segment_counts_only_its_current_members() -> None:
    await fixed_program()
    await upsert_segment("spain", "Spain", SegmentRule(countries=("ES",)), NOW)

    kpis = await program_kpis(MARCH, APRIL, NOW, "spain")

    # In the segment now: Ana and Cai (Eva erased, Fay joined in April but is in the
    # segment and counts nowhere in March).
    assert kpis == ProgramKpis(
        start=MARCH,
        end=APRIL,
        members=2,
        new_members=1,
        active_members=2,
        retention_rate=1.0,
        repeat_purchase_rate=1 / 2,
        purchase_frequency=3 / 2,
        average_order_value=Decimal("53.45"),  # 160.35 / 3
        revenue=Decimal("150.35"),  # 160.35 - 10
        average_spend_per_active_member=Decimal("75.18"),  # 75.175
        points_issued=155,
        points_redeemed=80,
        points_expired=0,
        outstanding_points=160,  # 100 + 155 - 80 - 10 - 5
        redemption_rate=80 / (100 + 155),
        net_promoter_score=50.0,  # Ana 10, Cai 7
    )


async def test_a_period_without_activity_has_null_rates_and_zero_sums() -> None:
    await fixed_program()
    start = datetime(2020, 1, 1, tzinfo=UTC)

    kpis = await program_kpis(start, start + timedelta(days=7), NOW)

    assert (kpis.members, kpis.new_members, kpis.active_members) == (0, 0, 0)
    assert kpis.revenue == Decimal("0.00")
    assert (kpis.points_issued, kpis.outstanding_points) == (0, 0)
    assert kpis.retention_rate is None
    assert kpis.repeat_purchase_rate is None
    assert kpis.purchase_frequency is None
    assert kpis.average_order_value is None
    assert kpis.average_spend_per_active_member is None
    assert kpis.redemption_rate is None
    assert kpis.net_promoter_score is None


async def test_a_reversed_or_empty_period_and_an_unknown_segment_are_refused() -> None:
    with pytest.raises(InvalidInput) as reversed_:
        await program_kpis(APRIL, MARCH, NOW)
    assert reversed_.value.field == ["to"]
    with pytest.raises(InvalidInput):
        await program_kpis(MARCH, MARCH, NOW)
    with pytest.raises(InvalidInput):
        await program_kpis(MARCH - timedelta(days=4000), MARCH, NOW)
    with pytest.raises(NotFound) as unknown:
        await program_kpis(MARCH, APRIL, NOW, "nope")
    assert unknown.value.field == ["segmentCode"]
