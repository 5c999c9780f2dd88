"""Segments on a real database: each condition, the set and one member agreeing, upserts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import InvalidInput, NotFound, ValidationErrors
from domain.members.models import Member
from domain.purchases.models import Channel
from domain.segments.models import Segment
from domain.segments.rules import SegmentRule
from domain.segments.services import (
    count_segment_members,
    list_segments,
    member_in_segment,
    members_in_segment,
    refresh_segment_counts,
    segment_member_id_batches,
    segment_member_ids_query,
    upsert_segment,
)
from tests.integration.member_history import award, badge, member, purchase

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
JOINED = datetime(2025, 1, 1, tzinfo=UTC)


async def members_of(code: str) -> set[int]:
    return {m.id for m in await Member.filter(id__in=await segment_member_ids_query(code, NOW))}


async def assert_segment(code: str, rule: SegmentRule, expected: set[int]) -> None:
    """The stored count, the set query and the one-member query all give `expected`."""
    segment = await upsert_segment(code, code.title(), rule, NOW)
    assert await members_of(code) == expected
    assert segment.member_count == len(expected)
    everyone = await Member.all().values_list("id", flat=True)
    for member_id in everyone:
        assert await member_in_segment(code, member_id, NOW) is (member_id in expected)


async def test_tier_country_and_city_conditions_select_members_by_profile() -> None:
    gold_es = await member(JOINED, tier_level=2, country="ES", city="Madrid")
    silver_es = await member(JOINED, tier_level=1, country="ES", city="madrid")
    gold_fr = await member(JOINED, tier_level=3, country="FR", city="Paris")
    await member(JOINED)

    await assert_segment("gold", SegmentRule(min_tier_level=2), {gold_es.id, gold_fr.id})
    await assert_segment("spain", SegmentRule(countries=("es", "PT")), {gold_es.id, silver_es.id})
    await assert_segment("madrid", SegmentRule(cities=("MADRID",)), {gold_es.id, silver_es.id})
    await assert_segment(
        "gold-spain", SegmentRule(min_tier_level=2, countries=("ES",)), {gold_es.id}
    )


async def test_the_age_range_counts_whole_years_on_the_day_of_evaluation() -> None:
    today = NOW.date()
    turns_18_today = await member(JOINED, birth_date=date(2008, 3, 15))
    turns_18_tomorrow = await member(JOINED, birth_date=date(2008, 3, 16))
    is_65 = await member(JOINED, birth_date=date(1960, 6, 1))
    turned_66_today = await member(JOINED, birth_date=date(1960, 3, 15))
    await member(JOINED)  # no birth date: never matches an age condition
    assert today == date(2026, 3, 15)

    await assert_segment(
        "adults", SegmentRule(min_age=18), {turns_18_today.id, is_65.id, turned_66_today.id}
    )
    await assert_segment("minors", SegmentRule(max_age=17), {turns_18_tomorrow.id})
    await assert_segment(
        "up-to-65", SegmentRule(min_age=18, max_age=65), {turns_18_today.id, is_65.id}
    )


async def test_someone_born_on_29_february_is_a_year_older_from_1_march() -> None:
    leapling = await member(JOINED, birth_date=date(2008, 2, 29))
    on_28_feb = datetime(2026, 2, 28, 12, tzinfo=UTC)
    on_1_march = datetime(2026, 3, 1, 12, tzinfo=UTC)
    await upsert_segment("adults", "Adults", SegmentRule(min_age=18), on_28_feb)
    assert not await member_in_segment("adults", leapling.id, on_28_feb)
    assert await member_in_segment("adults", leapling.id, on_1_march)


async def test_lifetime_spend_is_net_of_refunds_and_exact_to_the_cent() -> None:
    exactly = await member(JOINED)
    await purchase(exactly, "0.10", NOW - timedelta(days=3))
    await purchase(exactly, "0.20", NOW - timedelta(days=2))
    await purchase(exactly, "99.70", NOW - timedelta(days=1))
    refunded = await member(JOINED)
    await purchase(refunded, "150.00", NOW - timedelta(days=5), refunded="50.01")
    later = await member(JOINED)
    await purchase(later, "500.00", NOW + timedelta(days=1))  # after the evaluation time

    await assert_segment("spent-100", SegmentRule(min_lifetime_spend=Decimal("100")), {exactly.id})
    await assert_segment(
        "everyone-spend-0",
        SegmentRule(min_lifetime_spend=Decimal("0")),
        {exactly.id, refunded.id, later.id},
    )


async def test_purchase_count_ignores_fully_refunded_purchases() -> None:
    three = await member(JOINED)
    for days in (1, 2, 3):
        await purchase(three, "10", NOW - timedelta(days=days))
    two_kept = await member(JOINED)
    await purchase(two_kept, "10", NOW - timedelta(days=1))
    await purchase(two_kept, "10", NOW - timedelta(days=2), refunded="5")
    await purchase(two_kept, "10", NOW - timedelta(days=3), refunded="10")

    await assert_segment("three-plus", SegmentRule(min_purchases=3), {three.id})
    await assert_segment("two-plus", SegmentRule(min_purchases=2), {three.id, two_kept.id})


async def test_recency_conditions_select_recent_and_lapsed_buyers() -> None:
    recent = await member(JOINED)
    await purchase(recent, "10", NOW - timedelta(days=5))
    lapsed = await member(JOINED)
    await purchase(lapsed, "10", NOW - timedelta(days=60))
    returned_recent = await member(JOINED)
    await purchase(returned_recent, "10", NOW - timedelta(days=60))
    await purchase(returned_recent, "10", NOW - timedelta(days=2), refunded="10")
    never = await member(JOINED)

    await assert_segment("active-30", SegmentRule(purchased_within_days=30), {recent.id})
    await assert_segment(
        "lapsed-30",
        SegmentRule(not_purchased_within_days=30),
        {lapsed.id, returned_recent.id, never.id},
    )
    await assert_segment(
        "lapsing",
        SegmentRule(purchased_within_days=90, not_purchased_within_days=30),
        {lapsed.id, returned_recent.id},
    )


async def test_badge_and_channel_conditions() -> None:
    explorer = await badge("explorer", NOW)
    holder_in_store = await member(JOINED)
    await award(holder_in_store, explorer, NOW)
    await purchase(holder_in_store, "10", NOW - timedelta(days=1), channel=Channel.STORE)
    web_only = await member(JOINED)
    await purchase(web_only, "10", NOW - timedelta(days=1), channel=Channel.WEB)
    refunded_in_store = await member(JOINED)
    await purchase(
        refunded_in_store, "10", NOW - timedelta(days=1), channel=Channel.STORE, refunded="10"
    )

    await assert_segment("explorers", SegmentRule(has_badge_code="explorer"), {holder_in_store.id})
    await assert_segment(
        "shops-offline", SegmentRule(channels=(Channel.STORE, Channel.APP)), {holder_in_store.id}
    )
    await assert_segment(
        "web-or-store",
        SegmentRule(channels=(Channel.WEB, Channel.STORE)),
        {holder_in_store.id, web_only.id},
    )


async def test_erased_members_are_in_no_segment() -> None:
    kept = await member(JOINED, country="ES")
    erased = await member(JOINED, country="ES", erased_at=NOW - timedelta(days=1))

    await assert_segment("everyone", SegmentRule(), {kept.id})
    assert not await member_in_segment("everyone", erased.id, NOW)


async def test_an_unknown_segment_code_is_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        await member_in_segment("nope", 1, NOW)
    assert raised.value.field == ["segmentCode"]
    with pytest.raises(NotFound):
        await members_in_segment("nope", [1], NOW)
    with pytest.raises(NotFound):
        await segment_member_ids_query("nope", NOW)


async def test_members_in_segment_answers_for_many_members_at_once() -> None:
    spanish = [await member(JOINED, country="ES") for _ in range(3)]
    french = await member(JOINED, country="FR")
    await upsert_segment("spain", "Spain", SegmentRule(countries=("ES",)), NOW)

    ids = [m.id for m in spanish] + [french.id, 999_999]
    assert await members_in_segment("spain", ids, NOW) == {m.id for m in spanish}
    assert await members_in_segment("spain", [], NOW) == set()


async def test_member_ids_come_in_ascending_batches_covering_the_segment() -> None:
    everyone = [await member(JOINED, country="ES") for _ in range(7)]
    await member(JOINED, country="FR")
    await upsert_segment("spain", "Spain", SegmentRule(countries=("ES",)), NOW)

    batches = [b async for b in segment_member_id_batches("spain", NOW, batch_size=3)]
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [i for b in batches for i in b] == sorted(m.id for m in everyone)
    all_batches = [b async for b in segment_member_id_batches(None, NOW, batch_size=100)]
    assert len(all_batches[0]) == 8


async def test_upserting_the_same_code_replaces_the_rule_and_recounts() -> None:
    await member(JOINED, country="ES")
    await member(JOINED, country="FR")
    first = await upsert_segment("target", "Target", SegmentRule(countries=("ES",)), NOW)
    later = NOW + timedelta(hours=1)
    second = await upsert_segment(
        "target", "Target group", SegmentRule(countries=("ES", "FR")), later
    )

    assert second.id == first.id
    assert (second.name, second.member_count, second.counted_at) == ("Target group", 2, later)
    assert second.rule == {"countries": ["ES", "FR"]}
    assert [s.code for s in await list_segments()] == ["target"]


async def test_concurrent_upserts_of_one_code_leave_one_segment() -> None:
    await asyncio.gather(
        *(upsert_segment("race", f"Race {n}", SegmentRule(min_tier_level=n), NOW) for n in range(8))
    )
    assert await Segment.filter(code="race").count() == 1


async def test_an_invalid_rule_reports_every_field_and_stores_nothing() -> None:
    rule = SegmentRule(
        min_age=40,
        max_age=30,
        countries=("XX",),
        purchased_within_days=0,
        not_purchased_within_days=-3,
        min_lifetime_spend=Decimal("-1"),
        has_badge_code="no-such-badge",
    )
    with pytest.raises(ValidationErrors) as raised:
        await upsert_segment("bad code!", " ", rule, NOW)

    reported = [(e.code, e.field) for e in raised.value.errors]
    assert reported == [
        ("INVALID_INPUT", ["input", "code"]),
        ("INVALID_INPUT", ["input", "name"]),
        ("INVALID_INPUT", ["input", "rule", "purchasedWithinDays"]),
        ("INVALID_INPUT", ["input", "rule", "notPurchasedWithinDays"]),
        ("INVALID_INPUT", ["input", "rule", "minAge"]),
        ("INVALID_INPUT", ["input", "rule", "minLifetimeSpend"]),
        ("INVALID_INPUT", ["input", "rule", "countries"]),
        ("NOT_FOUND", ["input", "rule", "hasBadgeCode"]),
    ]
    assert await Segment.all().count() == 0


async def test_a_rule_whose_recency_window_is_empty_is_refused() -> None:
    rule = SegmentRule(purchased_within_days=7, not_purchased_within_days=30)
    with pytest.raises(ValidationErrors) as raised:
        await upsert_segment("never", "Never", rule, NOW)
    assert [e.field for e in raised.value.errors] == [["input", "rule", "purchasedWithinDays"]]
    assert isinstance(raised.value.errors[0], InvalidInput)


async def test_the_refresh_job_recounts_every_segment_as_of_its_time() -> None:
    buyer = await member(JOINED)
    await upsert_segment("recent", "Recent", SegmentRule(purchased_within_days=7), NOW)
    await upsert_segment("everyone", "Everyone", SegmentRule(), NOW)
    await purchase(buyer, "10", NOW)
    await member(JOINED)

    later = NOW + timedelta(days=1)
    assert await refresh_segment_counts(later) == 2
    counts = {s.code: (s.member_count, s.counted_at) for s in await list_segments()}
    assert counts == {"everyone": (2, later), "recent": (1, later)}
    assert await count_segment_members("recent", NOW + timedelta(days=8)) == 0
