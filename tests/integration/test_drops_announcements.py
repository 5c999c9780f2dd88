"""Openings are announced once per phase: early access first, then everyone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.achievements.models import Badge, MemberBadge
from domain.drops.jobs import announce_drops
from domain.drops.queries import announcement_audience
from domain.members.models import Member
from domain.segments.rules import SegmentRule
from domain.segments.services import upsert_segment
from tests.integration.drops_support import BEFORE, CLOSES, OPENS, events_of, make_drop, make_member

pytestmark = pytest.mark.usefixtures("db")


async def test_early_access_is_announced_first_then_the_general_opening_each_once() -> None:
    drop = await make_drop(early_access_tier_level=2, early_access_minutes=60, min_tier_level=1)
    assert await announce_drops(OPENS - timedelta(minutes=61)) == []
    early = await announce_drops(OPENS - timedelta(minutes=60))
    assert await announce_drops(OPENS - timedelta(minutes=30)) == []
    general = await announce_drops(OPENS)
    assert await announce_drops(OPENS + timedelta(minutes=1)) == []
    payloads = await events_of("DropOpened")
    assert payloads == [
        {
            "drop_id": drop.id,
            "drop_code": drop.code,
            "title": drop.title,
            "opens_at": (OPENS - timedelta(minutes=60)).isoformat(),
            "early_access": True,
            "min_tier_level": 2,
        },
        {
            "drop_id": drop.id,
            "drop_code": drop.code,
            "title": drop.title,
            "opens_at": OPENS.isoformat(),
            "early_access": False,
            "min_tier_level": 1,
        },
    ]
    assert [e.early_access for e in early + general] == [True, False]


async def test_concurrent_jobs_announce_each_phase_once() -> None:
    await make_drop()
    results = await asyncio.gather(*(announce_drops(OPENS) for _ in range(4)))
    assert sum(len(r) for r in results) == 1
    assert len(await events_of("DropOpened")) == 1


async def test_drops_not_to_be_announced_or_already_closed_stay_silent() -> None:
    await make_drop(code="QUIET", announce=False)
    await make_drop(code="MISSED")
    assert await announce_drops(CLOSES) == []
    assert await events_of("DropOpened") == []


async def test_the_audience_is_the_active_members_at_the_tier_holding_the_badge() -> None:
    badge = await Badge.create(
        code="OWL", name="Owl", description="", rule={}, created_at=BEFORE, updated_at=BEFORE
    )
    drop = await make_drop(required_badge_code="OWL", min_tier_level=1)
    gold = await make_member("gold", tier_level=2)
    silver = await make_member("silver", tier_level=1)
    base = await make_member("base", tier_level=0)
    no_badge = await make_member("nobadge", tier_level=3)
    for m in (gold, silver, base):
        await MemberBadge.create(member_id=m.id, badge_id=badge.id, earned_at=BEFORE)
    assert no_badge.id not in await announcement_audience(drop, 1, OPENS)
    assert await announcement_audience(drop, 1, OPENS) == [gold.id, silver.id]
    assert await announcement_audience(drop, 2, OPENS) == [gold.id]
    assert await announcement_audience(drop, 1, OPENS, after_member_id=gold.id) == [silver.id]


async def test_a_segment_drop_is_announced_to_the_segment_only() -> None:
    await upsert_segment("es", "Spain", SegmentRule(countries=("ES",)), BEFORE)
    drop = await make_drop(segment_code="es")
    spain = await make_member("spain")
    await make_member("france")
    await Member.filter(id=spain.id).update(country="ES")
    assert await announcement_audience(drop, 0, OPENS) == [spain.id]
