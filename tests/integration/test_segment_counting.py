"""The segment counts job works from changes: a quiet run reads no member, and after any mix
of changes its counts (and stored members) equal a full recount."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.achievements.models import Badge, MemberBadge
from domain.members.models import Member
from domain.members.services import ProfileChanges, update_profile
from domain.privacy.erasure import delete_my_account
from domain.purchases.models import Channel, Purchase
from domain.segments.models import Segment, SegmentMember
from domain.segments.query import members_matching
from domain.segments.rules import SegmentRule
from domain.segments.services import refresh_segment_counts, rule_of, upsert_segment
from domain.tiers.models import Tier
from domain.tiers.services import place_member
from tests.integration.member_history import award, badge, member, purchase, refund
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")

START = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
JOINED = datetime(2025, 1, 1, tzinfo=UTC)
RULES = {
    "everyone": SegmentRule(),
    "silver": SegmentRule(min_tier_level=1),
    "iberia": SegmentRule(countries=("ES", "PT")),
    "madrid": SegmentRule(cities=("Madrid",)),
    "adults": SegmentRule(min_age=18, max_age=64),
    "spenders": SegmentRule(min_lifetime_spend=Decimal("100.00")),
    "regulars": SegmentRule(min_purchases=2),
    "recent": SegmentRule(purchased_within_days=2),
    "lapsed": SegmentRule(not_purchased_within_days=3),
    "owls": SegmentRule(has_badge_code="owl"),
    "web": SegmentRule(channels=(Channel.WEB,)),
}


async def define_segments(now: datetime) -> None:
    await badge("owl", JOINED)
    for code, rule in RULES.items():
        await upsert_segment(code, code.title(), rule, now)


async def assert_counts_equal_a_full_recount(now: datetime) -> None:
    for segment in await Segment.all():
        matching = set(await members_matching(rule_of(segment), now).values_list("id", flat=True))
        stored = set(
            await SegmentMember.filter(segment_id=segment.id).values_list("member_id", flat=True)
        )
        assert (segment.code, segment.member_count) == (segment.code, len(matching))
        assert (segment.code, stored) == (segment.code, matching)
        assert segment.counted_at == now


async def test_a_run_without_changes_reads_no_member_and_evaluates_no_rule() -> None:
    await define_segments(START)
    ana = await member(JOINED, country="ES", city="Madrid", birth_date=date(1990, 5, 1))
    await purchase(ana, "150.00", START - timedelta(days=10), channel=Channel.WEB)
    first = START + timedelta(hours=2)
    assert await refresh_segment_counts(first) == len(RULES)  # every segment counted whole
    quiet = first + timedelta(hours=2)  # the same day, nothing changed since

    with counting_statements() as statements:
        assert await refresh_segment_counts(quiet) == len(RULES)

    rule_reads = [s for s in statements.sql if '"member"' in s or "segment_member" in s]
    assert rule_reads == []
    # The versions, the segments, the changed members once (empty index ranges), per
    # segment its lock, its watermark read, its count and counted_at, its watermark saved, and
    # for the two look-back rules the purchases crossing their window's start (none).
    assert len(statements) == 3 + 4 * len(RULES) + 2, "\n".join(statements.sql)
    await assert_counts_equal_a_full_recount(quiet)


async def test_a_change_re_examines_only_the_members_it_touched() -> None:
    await define_segments(START)
    members = [await member(JOINED, country="FR") for _ in range(20)]
    first = START + timedelta(hours=2)
    await refresh_segment_counts(first)
    later = first + timedelta(hours=2)
    await update_profile(members[3], ProfileChanges(country="ES"), later)

    with counting_statements() as statements:
        await refresh_segment_counts(later)

    evaluated = [s for s in statements.sql if 'FROM "member"' in s]
    touched = members[3].id  # each rule evaluated for that member alone (the last parameter)
    assert evaluated and all(s.endswith((f" {touched}]", f"[{touched}]")) for s in evaluated)
    assert (await Segment.get(code="iberia")).member_count == 1
    await assert_counts_equal_a_full_recount(later)


@pytest.mark.parametrize("seed", range(1, 21))
async def test_after_random_changes_the_counts_equal_a_full_recount(seed: int) -> None:
    rng = random.Random(seed)
    now = START
    await define_segments(now)
    silver = await Tier.create(
        code="SILVER", name="Silver", level=1, qualifying_points=1, updated_at=now
    )
    members: list[Member] = []
    purchases: list[Purchase] = []
    owl_badge = await Badge.get(code="owl")
    await refresh_segment_counts(now)
    for _ in range(10):
        for _ in range(rng.randrange(1, 8)):
            action = rng.choice(
                ["join", "join", "profile", "buy", "buy", "refund", "badge", "tier", "erase"]
            )
            live = [m for m in members if m.erased_at is None]
            if action == "join" or not live:
                born = date(rng.randrange(1950, 2012), rng.randrange(1, 13), rng.randrange(1, 29))
                members.append(
                    await member(
                        now,
                        country=rng.choice(["ES", "FR", "PT", None]),
                        birth_date=rng.choice([born, None]),
                    )
                )
            elif action == "profile":
                await update_profile(
                    rng.choice(live),
                    ProfileChanges(
                        country=rng.choice(["ES", "FR", "PT"]),
                        city=rng.choice(["Madrid", "Lyon", "madrid"]),
                    ),
                    now,
                )
            elif action == "buy":
                # Made up to a few days ago (or ahead of the clock), recorded now.
                bought = await purchase(
                    rng.choice(live),
                    f"{rng.randrange(5, 120)}.00",
                    now - timedelta(hours=rng.randrange(-30, 90)),
                    channel=rng.choice(list(Channel)),
                )
                await Purchase.filter(id=bought.id).update(recorded_at=now)
                purchases.append(bought)
            elif action == "refund" and purchases:
                bought = rng.choice(purchases)
                left = bought.amount - bought.refunded_amount
                if left > 0:
                    await refund(bought, rng.choice([left, left / 2]).quantize(left), now)
            elif action == "badge":
                holder = rng.choice(live)
                if not await MemberBadge.exists(member_id=holder.id, badge_id=owl_badge.id):
                    await award(holder, owl_badge, now)
            elif action == "tier":
                await place_member(rng.choice(live), silver, now)
            elif action == "erase":
                await delete_my_account(rng.choice(live), True, now)
                for m in members:
                    await m.refresh_from_db()
        # Hours to days between runs: ages and look-back windows move with the clock too.
        now += timedelta(hours=rng.choice([1, 5, 23, 26, 49]))
        await refresh_segment_counts(now)
        await assert_counts_equal_a_full_recount(now)
