"""The delivery worker drives the real firebase-admin client against the fake FCM server."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import FrozenClock
from domain.members.models import Device, Member, Platform
from domain.members.services import register_device
from push.campaigns.services import CampaignInput, fan_out_campaigns, send_campaign
from push.fcm import FcmGateway
from push.gateway import PushGateway, PushMessage, SendResult
from push.live import NoLiveFeed
from push.notifications.delivery import (
    DeliveryPolicy,
    DeliveryReport,
    _queue_due_notifications,
    deliver_until_idle,
)
from push.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationCategory,
    PushDelivery,
    PushStatus,
)
from push.notifications.services import Draft, notify_members
from push.ports import NoSegments
from tests.fakes.fake_fcm import FakeFcmServer, ScriptedResponse
from tests.integration.push_support import dispatcher, member

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(max_attempts=5, base_delay=10, max_delay=60, rng=random.Random(1))


@pytest.fixture
async def fcm(fake_fcm: FakeFcmServer) -> AsyncIterator[FcmGateway]:
    gateway = FcmGateway(fake_fcm.service_account, fcm_endpoint=fake_fcm.base_url)
    yield gateway
    await gateway.close()


def offer(title: str = "Double points today") -> Draft:
    return Draft(
        NotificationCategory.PROMOTION,
        title,
        "Every purchase counts twice until midnight.",
        "fidelio://promotions/42",
        {"promotion_id": "42"},
    )


async def notify(member_id: int, key: str = "offer") -> Notification:
    [created] = await notify_members([member_id], lambda _: offer(), key, NOW)
    return created


async def test_a_push_reaches_every_device_of_the_member_once(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    ana = await member("ana", NOW, devices=2)
    notification = await notify(ana.id)

    report = await deliver_until_idle(fcm, NOW, policy=POLICY)

    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    delivered = sorted(fake_fcm.delivered, key=lambda m: m.token)
    assert [m.token for m in delivered] == ["token-ana-0", "token-ana-1"]
    assert delivered[0].title == "Double points today"
    assert delivered[0].data == {
        "promotion_id": "42",
        "notification_id": str(notification.id),
        "category": "PROMOTION",
        "deep_link": "fidelio://promotions/42",
    }
    assert delivered[0].collapse_key == f"notification-{notification.id}"
    await notification.refresh_from_db()
    assert (notification.push_status, notification.sent_at, notification.attempts) == (
        PushStatus.SENT,
        NOW,
        1,
    )
    deliveries = await PushDelivery.filter(notification_id=notification.id)
    assert {(d.status, d.sent_at) for d in deliveries} == {(DeliveryStatus.SENT, NOW)}

    await deliver_until_idle(fcm, NOW + timedelta(hours=1), policy=POLICY)
    assert len(fake_fcm.delivered) == 2  # nothing goes twice


async def test_an_unregistered_token_removes_its_device_and_the_others_still_get_the_push(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    ana = await member("ana", NOW, devices=2)
    fake_fcm.unregister("token-ana-0")
    notification = await notify(ana.id)

    report = await deliver_until_idle(fcm, NOW, policy=POLICY)

    assert report.devices_removed == 1
    assert await Device.filter(member_id=ana.id).values_list("token", flat=True) == ["token-ana-1"]
    assert [m.token for m in fake_fcm.delivered] == ["token-ana-1"]
    await notification.refresh_from_db()
    assert notification.push_status is PushStatus.SENT


async def test_when_every_token_is_invalid_the_devices_go_and_the_notification_stays_in_the_feed(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    ana = await member("ana", NOW, devices=1)
    fake_fcm.invalidate("token-ana-0")
    notification = await notify(ana.id)

    await deliver_until_idle(fcm, NOW, policy=POLICY)

    assert await Device.filter(member_id=ana.id).count() == 0
    await notification.refresh_from_db()
    assert (notification.push_status, notification.push_reason) == (PushStatus.SKIPPED, "no device")


async def test_quota_exceeded_waits_at_least_the_retry_after_the_service_asked_for(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    ana = await member("ana", NOW)
    fake_fcm.enqueue(ScriptedResponse.quota_exceeded(retry_after=120))
    notification = await notify(ana.id)

    first = await deliver_until_idle(fcm, NOW, policy=POLICY)

    assert first.retried == 1
    [delivery] = await PushDelivery.filter(notification_id=notification.id)
    assert delivery.status is DeliveryStatus.RETRY
    assert delivery.next_attempt_at == NOW + timedelta(seconds=120)
    assert "QuotaExceeded" in (delivery.last_error or "")

    await deliver_until_idle(fcm, NOW + timedelta(seconds=119), policy=POLICY)
    assert fake_fcm.delivered == []

    await deliver_until_idle(fcm, NOW + timedelta(seconds=120), policy=POLICY)
    assert [m.token for m in fake_fcm.delivered] == ["token-ana-0"]
    await notification.refresh_from_db()
    assert (notification.push_status, notification.attempts) == (PushStatus.SENT, 2)


async def test_unavailable_then_success_delivers_once_after_a_backoff(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    ana = await member("ana", NOW)
    fake_fcm.enqueue(ScriptedResponse.unavailable())
    notification = await notify(ana.id)

    await deliver_until_idle(fcm, NOW, policy=POLICY)
    [delivery] = await PushDelivery.filter(notification_id=notification.id)
    assert delivery.status is DeliveryStatus.RETRY
    assert NOW <= delivery.next_attempt_at <= NOW + timedelta(seconds=POLICY.base_delay)

    await deliver_until_idle(fcm, NOW + timedelta(seconds=POLICY.base_delay), policy=POLICY)

    assert [m.token for m in fake_fcm.delivered] == ["token-ana-0"]
    assert fake_fcm.send_requests == 2


async def test_while_fcm_is_down_nothing_is_lost_and_everything_goes_once_it_is_back(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    members = [await member(f"m{i}", NOW) for i in range(5)]
    for m in members:
        await notify(m.id)
    fake_fcm.stop()
    clock = NOW

    for _ in range(3):  # three rounds while it is down: every one comes back RETRY
        report = await deliver_until_idle(fcm, clock, policy=POLICY)
        assert (report.sent, report.retried, report.failed) == (0, 5, 0)
        clock += timedelta(seconds=POLICY.max_delay)
    fake_fcm.start()
    report = await deliver_until_idle(fcm, clock, policy=POLICY)

    assert report.sent == 5
    assert sorted(m.token for m in fake_fcm.delivered) == [f"token-m{i}-0" for i in range(5)]
    assert set(await Notification.all().values_list("push_status", flat=True)) == {PushStatus.SENT}


async def test_after_the_last_try_the_push_is_failed_and_the_notification_stays_in_the_feed(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    ana = await member("ana", NOW)
    policy = DeliveryPolicy(max_attempts=2, base_delay=1, max_delay=1, rng=random.Random(2))
    fake_fcm.enqueue(ScriptedResponse.internal(), ScriptedResponse.unavailable())
    notification = await notify(ana.id)

    await deliver_until_idle(fcm, NOW, policy=policy)
    report = await deliver_until_idle(fcm, NOW + timedelta(seconds=1), policy=policy)

    assert report.failed == 1
    await notification.refresh_from_db()
    assert notification.push_status is PushStatus.FAILED
    assert notification.attempts == 2
    assert "Unavailable" in (notification.last_error or "")
    assert await Device.filter(member_id=ana.id).count() == 1  # a failure is not a bad token
    assert await deliver_until_idle(fcm, NOW + timedelta(hours=1), policy=policy) == type(report)()
    assert fake_fcm.delivered == []


class DiesOnSecondBatch:
    """A gateway whose worker is killed (cancelled) as it starts sending its second batch."""

    def __init__(self, inner: PushGateway) -> None:
        self.inner = inner
        self.calls = 0

    async def send(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        self.calls += 1
        if self.calls == 2:
            raise asyncio.CancelledError
        return await self.inner.send(messages)

    async def close(self) -> None:
        return None


async def test_a_worker_killed_mid_run_leaves_its_claims_to_be_taken_over_without_duplicates(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    members = [await member(f"m{i:02d}", NOW) for i in range(30)]
    for m in members:
        await notify(m.id)
    dying = DiesOnSecondBatch(fcm)

    with pytest.raises(asyncio.CancelledError):
        await deliver_until_idle(dying, NOW, batch=10, policy=POLICY)
    assert len(fake_fcm.delivered) == 10
    assert await PushDelivery.filter(status=DeliveryStatus.SENDING).count() == 10

    # Another worker right away: the dead worker's claims are still leased, the rest go.
    await deliver_until_idle(fcm, NOW, batch=10, policy=POLICY)
    assert len(fake_fcm.delivered) == 20

    await deliver_until_idle(
        fcm, NOW + POLICY.lease + timedelta(seconds=1), batch=10, policy=POLICY
    )
    tokens = Counter(m.token for m in fake_fcm.delivered)
    assert sorted(tokens) == [f"token-m{i:02d}-0" for i in range(30)]
    assert set(tokens.values()) == {1}


async def test_two_workers_at_once_send_each_push_once(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    members = [await member(f"m{i:02d}", NOW) for i in range(40)]
    for m in members:
        await notify(m.id)

    await asyncio.gather(
        deliver_until_idle(fcm, NOW, batch=7, policy=POLICY),
        deliver_until_idle(fcm, NOW, batch=7, policy=POLICY),
        deliver_until_idle(fcm, NOW, batch=7, policy=POLICY),
    )

    tokens = Counter(m.token for m in fake_fcm.delivered)
    assert len(tokens) == 40
    assert set(tokens.values()) == {1}


async def test_a_token_that_moved_to_another_member_does_not_receive_the_old_owners_push(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    ana = await member("ana", NOW)
    bob = await member("bob", NOW, devices=0)
    await notify(ana.id)
    # Queued for ana's phone, then the phone changes hands before a worker sends.
    await _queue_due_notifications(NOW, 10, DeliveryReport())
    await register_device(bob, "token-ana-0", Platform.ANDROID, None, NOW)

    await deliver_until_idle(fcm, NOW, policy=POLICY)

    assert fake_fcm.delivered == []
    [delivery] = await PushDelivery.all()
    assert delivery.status is DeliveryStatus.DEVICE_GONE


async def test_a_token_registered_by_another_member_logs_the_move_and_withdraws_the_old_owners_queued_pushes(
    fcm: FcmGateway, fake_fcm: FakeFcmServer, caplog: pytest.LogCaptureFixture
) -> None:
    ana = await member("ana", NOW, devices=2)
    bob = await member("bob", NOW, devices=0)
    offer_to_ana = await notify(ana.id)
    await _queue_due_notifications(NOW, 10, DeliveryReport())
    assert await PushDelivery.filter(status=DeliveryStatus.QUEUED).count() == 2

    with caplog.at_level(logging.INFO, logger="fidelio.members"):
        device = await register_device(bob, "token-ana-0", Platform.ANDROID, None, NOW)
    await dispatcher(FrozenClock(NOW)).run_until_idle()

    assert device.member_id == bob.id
    assert any(
        r.name == "fidelio.members"
        and f"moved from member {ana.id} to member {bob.id}" in r.getMessage()
        for r in caplog.records
    )
    # Withdrawn at once, before any delivery worker looked: the moved phone's delivery only.
    deliveries = {d.token: d for d in await PushDelivery.all()}
    assert deliveries["token-ana-0"].status is DeliveryStatus.DEVICE_GONE
    assert deliveries["token-ana-0"].last_error == "device moved to another member"
    assert deliveries["token-ana-1"].status is DeliveryStatus.QUEUED
    # Bob's own pushes on his new phone go out; ana's reach only the phone she kept.
    await notify(bob.id, "bob-offer")
    await deliver_until_idle(fcm, NOW, policy=POLICY)
    delivered = sorted((m.token, m.data["notification_id"]) for m in fake_fcm.delivered)
    bob_offer = await Notification.get(member_id=bob.id)
    assert delivered == [
        ("token-ana-0", str(bob_offer.id)),
        ("token-ana-1", str(offer_to_ana.id)),
    ]


async def test_registering_ones_own_token_again_moves_nothing_and_withdraws_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ana = await member("ana", NOW)
    await notify(ana.id)
    await _queue_due_notifications(NOW, 10, DeliveryReport())

    with caplog.at_level(logging.INFO, logger="fidelio.members"):
        await register_device(ana, "token-ana-0", Platform.IOS, "2.1", NOW)
    await dispatcher(FrozenClock(NOW)).run_until_idle()

    assert not [r for r in caplog.records if "moved" in r.getMessage()]
    [delivery] = await PushDelivery.all()
    assert delivery.status is DeliveryStatus.QUEUED


@pytest.mark.slow
async def test_a_campaign_to_2000_devices_with_5_percent_transient_failures_reaches_each_once(
    fcm: FcmGateway, fake_fcm: FakeFcmServer
) -> None:
    count = 2000
    await Member.bulk_create(
        [
            Member(customer_id=f"c{i:05d}", referral_code=f"R{i:07d}", joined_at=NOW)
            for i in range(count)
        ]
    )
    ids = await Member.all().order_by("id").values_list("id", flat=True)
    await Device.bulk_create(
        [
            Device(
                member_id=member_id,
                token=f"device-{i:05d}",
                platform=Platform.IOS,
                created_at=NOW,
                last_seen_at=NOW,
            )
            for i, member_id in enumerate(ids)
        ]
    )
    await send_campaign(
        CampaignInput(code="winter-sale", title="Winter sale", body="Up to 50% off"),
        NOW,
        NoSegments(),
    )
    assert await fan_out_campaigns(NOW, NoSegments(), NoLiveFeed(), batch=500) == count
    fake_fcm.set_failure_rate(0.05, seed=11)

    clock = NOW
    for _ in range(POLICY.max_attempts):
        await deliver_until_idle(fcm, clock, policy=POLICY)
        clock += timedelta(seconds=POLICY.max_delay)

    tokens = Counter(m.token for m in fake_fcm.delivered)
    assert len(tokens) == count
    assert set(tokens.values()) == {1}
    assert fake_fcm.send_requests > count  # some failed the first time and were retried
    assert set(await Notification.all().values_list("push_status", flat=True)) == {PushStatus.SENT}
