"""Engagement rewards: one award per reference, a daily cap per kind in the member's day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import FrozenClock
from domain.errors import ValidationErrors
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.outbox.models import OutboxEvent
from domain.points import ledger
from domain.points.models import EarningRules, EntryKind, PointsEntry
from domain.referrals.engagement import EngagementOutcome, record_engagement
from domain.referrals.models import Engagement
from tests.fakes.activity import RecordingObserver

pytestmark = pytest.mark.usefixtures("db")


async def member(customer_id: str, now: datetime, time_zone: str = "UTC") -> Member:
    return await get_or_create_member(customer_id, now, time_zone=time_zone)


async def test_a_share_earns_the_share_points_at_once() -> None:
    now = FrozenClock().now()
    ana = await member("ana", now)
    observer = RecordingObserver(bonus_points=5)

    result = await record_engagement(ana, "SHARE", "product:123", None, now, observer)

    assert (result.outcome, result.points, result.awards.points_awarded) == (
        EngagementOutcome.AWARDED,
        10,
        15,
    )
    assert (result.engagement.points_awarded, result.engagement.local_date) == (10, now.date())
    credit = await PointsEntry.get(member_id=ana.id)
    assert (credit.kind, credit.delta, credit.available_at, credit.reference) == (
        EntryKind.ENGAGEMENT,
        10,
        now,
        f"engagement:{result.engagement.id}",
    )
    assert (await ledger.summary(ana.id, now)).balance == 10
    assert [(a.kind, a.points) for a in observer.seen] == [("SHARE", 10)]
    event = await OutboxEvent.get(kind="EngagementRecorded")
    assert event.payload == {
        "member_id": ana.id,
        "engagement_id": result.engagement.id,
        "engagement_kind": "SHARE",
        "reference": "product:123",
        "score": None,
        "points": 10,
    }


async def test_reviews_and_surveys_earn_their_own_points() -> None:
    now = FrozenClock().now()
    ana = await member("ana", now)
    review = await record_engagement(ana, "REVIEW", "product:1", None, now, RecordingObserver())
    survey = await record_engagement(ana, "SURVEY", "nps-2026-01", 9, now, RecordingObserver())
    assert (review.points, survey.points, survey.engagement.score) == (50, 25, 9)
    assert (await ledger.summary(ana.id, now)).balance == 75


async def test_the_same_reference_again_earns_nothing_and_is_not_an_error() -> None:
    now = FrozenClock().now()
    ana = await member("ana", now)
    first = await record_engagement(ana, "SHARE", "product:1", None, now, RecordingObserver())
    observer = RecordingObserver()
    again = await record_engagement(ana, "SHARE", " product:1 ", None, now, observer)
    assert (again.outcome, again.points, again.awards.points_awarded) == (
        EngagementOutcome.ALREADY_RECORDED,
        0,
        0,
    )
    assert again.engagement.id == first.engagement.id
    assert observer.seen == []
    assert await Engagement.filter(member_id=ana.id).count() == 1
    assert await OutboxEvent.filter(kind="EngagementRecorded").count() == 1
    other_kind = await record_engagement(ana, "REVIEW", "product:1", None, now, RecordingObserver())
    assert other_kind.outcome == EngagementOutcome.AWARDED


async def test_beyond_the_daily_cap_an_engagement_is_recorded_without_points() -> None:
    now = FrozenClock().now()
    ana = await member("ana", now)
    outcomes = []
    for i in range(4):
        observer = RecordingObserver()
        result = await record_engagement(ana, "SHARE", f"link:{i}", None, now, observer)
        outcomes.append((result.outcome, result.points, len(observer.seen)))
    assert outcomes == [(EngagementOutcome.AWARDED, 10, 1)] * 3 + [
        (EngagementOutcome.DAILY_CAP_REACHED, 0, 1)
    ]
    assert await Engagement.filter(member_id=ana.id).count() == 4
    assert (await ledger.summary(ana.id, now)).balance == 30
    capped = await OutboxEvent.filter(kind="EngagementRecorded").order_by("-id").first()
    assert capped is not None and capped.payload["points"] == 0
    review = await record_engagement(ana, "REVIEW", "product:1", None, now, RecordingObserver())
    assert review.outcome == EngagementOutcome.AWARDED


async def test_the_cap_follows_the_members_own_day() -> None:
    # 06:00 and 09:00 UTC are one day in UTC but two days in Los Angeles (22:00 and 01:00).
    evening = datetime(2026, 1, 15, 6, tzinfo=UTC)
    after_midnight = evening + timedelta(hours=3)
    la = await member("la", evening, time_zone="America/Los_Angeles")
    utc = await member("utc", evening)
    for who in (la, utc):
        for i in range(3):
            await record_engagement(who, "SHARE", f"a:{i}", None, evening, RecordingObserver())
    la_next = await record_engagement(la, "SHARE", "b", None, after_midnight, RecordingObserver())
    utc_next = await record_engagement(utc, "SHARE", "b", None, after_midnight, RecordingObserver())
    assert (la_next.outcome, la_next.engagement.local_date.isoformat()) == (
        EngagementOutcome.AWARDED,
        "2026-01-15",
    )
    assert (utc_next.outcome, utc_next.engagement.local_date.isoformat()) == (
        EngagementOutcome.DAILY_CAP_REACHED,
        "2026-01-15",
    )


async def test_a_kind_the_program_gives_nothing_for_earns_nothing() -> None:
    now = FrozenClock().now()
    await EarningRules.create(id=1, share_points=0)
    ana = await member("ana", now)
    result = await record_engagement(ana, "SHARE", "x", None, now, RecordingObserver())
    assert (result.outcome, result.points) == (EngagementOutcome.NO_POINTS, 0)
    assert await PointsEntry.filter(member_id=ana.id).count() == 0


@pytest.mark.parametrize(
    ("kind", "reference", "score", "fields"),
    [
        ("SURVEY", "nps", 11, ["score"]),
        ("SURVEY", "nps", -1, ["score"]),
        ("SHARE", "x", 5, ["score"]),
        ("SHARE", "", None, ["reference"]),
        ("SHARE", "x" * 201, None, ["reference"]),
        ("LIKE", "x", None, ["kind"]),
        ("LIKE", " ", None, ["kind", "reference"]),
    ],
)
async def test_invalid_engagements_are_refused_and_record_nothing(
    kind: str, reference: str, score: int | None, fields: list[str]
) -> None:
    now = FrozenClock().now()
    ana = await member("ana", now)
    with pytest.raises(ValidationErrors) as raised:
        await record_engagement(ana, kind, reference, score, now, RecordingObserver())
    assert [(e.code, e.field) for e in raised.value.errors] == [
        ("INVALID_INPUT", ["input", f]) for f in fields
    ]
    assert await Engagement.all().count() == 0
    assert await PointsEntry.all().count() == 0


@pytest.mark.postgres
async def test_concurrent_shares_never_exceed_the_daily_cap() -> None:
    now = FrozenClock().now()
    ana = await member("ana", now)
    results = await asyncio.gather(
        *(
            record_engagement(ana, "SHARE", f"link:{i}", None, now, RecordingObserver())
            for i in range(12)
        )
    )
    assert sum(r.outcome == EngagementOutcome.AWARDED for r in results) == 3
    assert await Engagement.filter(member_id=ana.id).count() == 12
    assert (await ledger.summary(ana.id, now)).balance == 30


@pytest.mark.postgres
async def test_concurrent_repeats_of_one_reference_award_once() -> None:
    now = FrozenClock().now()
    ana = await member("ana", now)
    results = await asyncio.gather(
        *(
            record_engagement(ana, "REVIEW", "product:1", None, now, RecordingObserver())
            for _ in range(10)
        )
    )
    assert sum(r.outcome == EngagementOutcome.AWARDED for r in results) == 1
    assert (await ledger.summary(ana.id, now)).balance == 50
