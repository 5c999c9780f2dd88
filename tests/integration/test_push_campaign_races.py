"""Races on PostgreSQL: the campaign fan-out job while purchases flow and the outbox delivers.

The worker runs the dispatcher and the `push.campaigns` job side by side while the API records
purchases: all three lock members' rows. A lock taken in another order by one of them than by
the others is a deadlock PostgreSQL breaks by aborting one of them.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

import fakeredis
import pytest
from tortoise.transactions import in_transaction

from api.runtime import build_runtime
from api.settings import Settings
from domain.clock import FrozenClock
from domain.members.models import Member
from domain.outbox.models import OutboxEvent
from domain.points.models import EntryKind, PointsEntry
from push.campaigns.models import Campaign, CampaignStatus
from push.campaigns.services import CampaignInput, fan_out_campaigns, send_campaign
from push.live import NoLiveFeed
from push.notifications.models import Notification, NotificationCategory
from push.notifications.services import Draft, notify_members
from push.ports import NoSegments
from tests.integration.points_factories import buy, set_tiers

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("db")]

MEMBERS = 400
PURCHASES = 480
CAMPAIGNS = tuple(f"week-{n}" for n in range(8))


async def test_a_campaign_fans_out_while_purchases_flow_and_the_outbox_delivers_without_deadlock(
    db: str,
) -> None:
    clock = FrozenClock()
    now = clock.now()
    await set_tiers(now - timedelta(days=1))
    await Member.bulk_create(
        [
            Member(customer_id=f"c{i:05d}", referral_code=f"R{i:07d}", joined_at=now)
            for i in range(MEMBERS)
        ]
    )
    settings = Settings(env="test", database_url=db, redis_prefix="race:", run_background=False)
    runtime = build_runtime(settings, clock=clock, redis=fakeredis.FakeAsyncRedis())
    for code in CAMPAIGNS:
        await send_campaign(
            CampaignInput(code=code, title=code, body="Ten points for you", bonus_points=10),
            now,
            NoSegments(),
        )
    # Orders arrive for members in no particular order, each enough for a tier change: the
    # outbox then holds events (and their notifications) for members in that order.
    rng = random.Random(7)
    buyers = [rng.randrange(MEMBERS) for _ in range(PURCHASES)]
    purchases_done = asyncio.Event()
    failures: list[BaseException] = []

    async def shop(lane: int) -> None:
        for n in range(lane, PURCHASES, 6):
            await buy(f"A-{n}", now, customer_id=f"c{buyers[n]:05d}", amount="600.00")

    async def worker_dispatcher() -> None:
        while not purchases_done.is_set():
            if await runtime.dispatcher.run_once() == 0:
                await asyncio.sleep(0.01)
        await runtime.dispatcher.run_until_idle()

    async def worker_campaigns() -> None:
        while (
            not purchases_done.is_set()
            or await Campaign.filter(
                status__in=(CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
            ).exists()
        ):
            await fan_out_campaigns(now, NoSegments(), NoLiveFeed(), max_batches=1)

    async def guarded(work: asyncio.Future[None] | object) -> None:
        try:
            await work  # type: ignore[misc]
        except BaseException as error:
            failures.append(error)

    async def purchases() -> None:
        try:
            await asyncio.gather(*(shop(lane) for lane in range(6)))
        finally:
            purchases_done.set()

    try:
        await asyncio.gather(
            guarded(purchases()), guarded(worker_dispatcher()), guarded(worker_campaigns())
        )
    finally:
        await runtime.redis.aclose()

    assert failures == []
    failed_events = await OutboxEvent.filter(last_error__isnull=False).values_list(
        "kind", "last_error"
    )
    assert failed_events == []
    for code in CAMPAIGNS:
        campaign = await Campaign.get(code=code)
        assert (campaign.status, campaign.recipients) == (CampaignStatus.SENT, MEMBERS)
        told = Counter(
            await Notification.filter(dedupe_key=f"campaign:{code}").values_list(
                "member_id", flat=True
            )
        )
        assert len(told) == MEMBERS and set(told.values()) == {1}
        bonuses = PointsEntry.filter(kind=EntryKind.BONUS, reference=f"campaign:{code}")
        assert await bonuses.count() == MEMBERS
    # The purchases' own notifications all went out too (each tier change told once).
    tier_changes = await OutboxEvent.filter(kind="TierChanged").count()
    assert tier_changes >= len(set(buyers))
    assert await Notification.filter(dedupe_key__startswith="tier:up").count() == tier_changes


async def test_a_fan_out_batch_never_waits_for_a_busy_member_while_holding_others() -> None:
    now = FrozenClock().now()
    await Member.bulk_create(
        [Member(customer_id=n, referral_code=f"R-{n}", joined_at=now) for n in ("a", "b", "c")]
    )
    ana, bea, cyd = await Member.all().order_by("id").values_list("id", flat=True)
    await send_campaign(CampaignInput(code="flash", title="Flash", body="Now"), now, NoSegments())
    holding_cyd = asyncio.Event()

    def badge(_: object) -> Draft:
        return Draft(NotificationCategory.BADGE, "A badge", "Well done", None, {})

    async def outbox_batch() -> None:
        # What the dispatcher does with two events in one batch: cyd's, then ana's (event
        # order, not member order), all in one transaction.
        async with in_transaction():
            await notify_members([cyd], badge, "badge:1", now)
            holding_cyd.set()
            await asyncio.sleep(0.3)  # the campaign's batch starts meanwhile
            await notify_members([ana], badge, "badge:1", now)

    batch = asyncio.create_task(outbox_batch())
    await holding_cyd.wait()
    created = await fan_out_campaigns(now, NoSegments(), NoLiveFeed())
    await batch

    assert created == 3
    told = await Notification.filter(dedupe_key="campaign:flash").values_list(
        "member_id", flat=True
    )
    assert sorted(told) == [ana, bea, cyd]
    assert await Notification.filter(dedupe_key="badge:1").count() == 2
