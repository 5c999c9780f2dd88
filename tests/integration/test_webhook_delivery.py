"""Webhooks end to end below the API: domain events through the outbox, the fan-out and the
sender to a real HTTP receiver on a loopback port, with the time injected."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.audit import Actor
from domain.clock import FrozenClock
from domain.members.services import get_or_create_member
from domain.outbox.dispatcher import Dispatcher
from domain.points.services import adjust_points
from domain.privacy.erasure import delete_my_account
from tests.webhook_receiver import running_receiver
from webhooks.deliveries import replay_delivery
from webhooks.endpoints import EndpointChanges, EndpointInput, create_endpoint, update_endpoint
from webhooks.fanout import webhook_handlers
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from webhooks.sender import SenderPolicy, WebhookSender

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "whsec_test-secret-0123456789"
POLICY = SenderPolicy(timeout=2.0, retry_for=timedelta(hours=24), concurrency=8, per_endpoint=4)


def documented_recipe() -> Callable[..., bool]:
    """The README's verification function, run exactly as written there."""
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    [block] = [b for b in blocks if "def verify_fidelio_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    return namespace["verify_fidelio_signature"]


class Setup:
    def __init__(self, clock: FrozenClock, policy: SenderPolicy = POLICY) -> None:
        self.clock = clock
        self.policy = policy
        self.dispatcher = Dispatcher(webhook_handlers(clock, policy.retry_for), clock)
        self.sender = WebhookSender(clock, policy)

    async def endpoint(self, url: str, types: list[str], **extra: Any) -> int:
        endpoint, _ = await create_endpoint(
            EndpointInput(url=url, event_types=types, secret=SECRET, **extra),
            self.clock.now(),
            require_https=False,
        )
        return endpoint.id

    async def members(self, count: int, prefix: str = "c") -> None:
        for n in range(count):
            await get_or_create_member(f"{prefix}{n}", self.clock.now())
        await self.dispatcher.run_until_idle()

    async def send(self) -> int:
        return await self.sender.deliver_until_idle()


@pytest.fixture
async def setup(db: str) -> AsyncIterator[Setup]:
    built = Setup(FrozenClock())
    yield built
    await built.sender.close()


async def test_the_documented_recipe_verifies_a_delivery_and_a_wrong_secret_fails_it(
    setup: Setup,
) -> None:
    verify = documented_recipe()
    async with running_receiver() as shop:
        await setup.endpoint(shop.url(), ["member.created"])
        await setup.members(1)
        assert await setup.send() == 1

    [request] = shop.received
    body, headers = request.body, request.headers
    now = setup.clock.now().timestamp()
    assert verify(SECRET, headers["fidelio-signature"], body, now=now)
    assert not verify("whsec_another-secret-987654", headers["fidelio-signature"], body, now=now)
    assert not verify(SECRET, headers["fidelio-signature"], body + b" ", now=now)
    assert not verify(SECRET, headers["fidelio-signature"], body, now=now + 301)  # replayed late
    event = json.loads(body)
    assert headers["fidelio-event-id"] == event["id"]
    assert headers["fidelio-event-type"] == event["type"] == "member.created"
    assert headers["fidelio-delivery-attempt"] == "1"
    assert headers["content-type"] == "application/json"
    assert event["data"] == {"customerId": "c0", "joinedAt": setup.clock.now().isoformat()}
    assert event["createdAt"] == setup.clock.now().isoformat()
    # The signature is Stripe's scheme, byte for byte.
    stamp = headers["fidelio-signature"].split(",")[0].removeprefix("t=")
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["fidelio-signature"] == f"t={stamp},v1={expected}"


async def test_a_receiver_failing_for_a_while_gets_every_event_and_processes_each_once(
    setup: Setup,
) -> None:
    async with running_receiver() as shop:
        shop.fail_next = 7
        await setup.endpoint(shop.url(), ["member.created"])
        await setup.members(5)
        for _ in range(30):
            await setup.send()
            if await WebhookDelivery.filter(status=DeliveryStatus.PENDING).count() == 0:
                break
            setup.clock.advance(hours=1)  # past any backoff (capped at an hour)

    events = set(await WebhookEvent.all().values_list("id", flat=True))
    assert len(events) == 5
    assert sorted(shop.processed) == sorted(events)  # each processed once, none lost
    assert len(shop.received) == 5 + 7  # the seven failures were retried, nothing more
    rows = await WebhookDelivery.all()
    assert {r.status for r in rows} == {DeliveryStatus.DELIVERED}
    assert sum(r.attempts for r in rows) == 12
    # Every attempt of one event carries the same event id, and its attempt number.
    for event_id, count in shop.receipts().items():
        attempts = [
            r.headers["fidelio-delivery-attempt"] for r in shop.received if r.event_id == event_id
        ]
        assert attempts == [str(n) for n in range(1, count + 1)]


async def test_a_receiver_that_is_down_gets_every_event_once_it_is_back(setup: Setup) -> None:
    async with running_receiver(start=False) as shop:
        await setup.endpoint(shop.url(), ["member.created"])
        await setup.members(3)
        for _ in range(3):  # down: connections refused
            await setup.send()
            setup.clock.advance(hours=1)
        failed = await WebhookDelivery.all()
        assert {r.status for r in failed} == {DeliveryStatus.PENDING}
        assert all(r.attempts == 3 and "ConnectError" in (r.last_error or "") for r in failed)
        assert all(r.response_status is None for r in failed)

        await shop.start()
        await setup.send()

    assert len(shop.processed) == len(shop.received) == 3
    assert {r.status for r in await WebhookDelivery.all()} == {DeliveryStatus.DELIVERED}


async def test_two_senders_at_once_never_send_the_same_attempt(setup: Setup) -> None:
    other = WebhookSender(setup.clock, POLICY)
    async with running_receiver() as shop:
        await setup.endpoint(shop.url("/a"), ["member.created"])
        await setup.endpoint(shop.url("/b"), ["member.created"])
        await setup.members(30)
        sent = await asyncio.gather(setup.sender.deliver_until_idle(), other.deliver_until_idle())
        await other.close()

    assert sum(sent) == 60
    for path in ("/a", "/b"):
        receipts = shop.receipts(path)
        assert len(receipts) == 30 and set(receipts.values()) == {1}
    assert await WebhookDelivery.filter(status=DeliveryStatus.DELIVERED, attempts=1).count() == 60


async def test_a_replay_sends_the_same_event_again_with_its_id(setup: Setup) -> None:
    async with running_receiver() as shop:
        await setup.endpoint(shop.url(), ["member.created"])
        await setup.members(1)
        await setup.send()
        [delivery] = await WebhookDelivery.all()
        setup.clock.advance(days=3)
        entry = await replay_delivery(delivery.id, setup.clock.now(), POLICY.retry_for)
        assert (entry.status, entry.replays) == (DeliveryStatus.PENDING, 1)
        await setup.send()

    first, again = shop.received
    assert again.event_id == first.event_id and again.body == first.body
    assert again.headers["fidelio-signature"] != first.headers["fidelio-signature"]  # new time
    assert again.headers["fidelio-delivery-attempt"] == "2"
    assert shop.processed == [first.event_id]  # the shop deduplicated it


async def test_an_endpoint_gets_only_its_types_and_a_disabled_one_gets_nothing(
    setup: Setup,
) -> None:
    async with running_receiver() as shop:
        await setup.endpoint(shop.url("/points"), ["points.earned"])
        await setup.endpoint(shop.url("/members"), ["member.created"])
        await setup.endpoint(shop.url("/off"), ["member.created", "points.earned"], enabled=False)
        await setup.members(1)
        await adjust_points("c0", 40, "goodwill", Actor("admin"), setup.clock.now())
        await setup.dispatcher.run_until_idle()
        await setup.send()

    assert [r.json["type"] for r in shop.at("/points")] == ["points.earned"]
    assert [r.json["type"] for r in shop.at("/members")] == ["member.created"]
    assert shop.at("/off") == []
    [earned] = shop.at("/points")
    assert earned.json["data"] | {"entryId": "-"} == {
        "customerId": "c0",
        "entryId": "-",
        "points": 40,
        "reason": "ADJUST",
        "reference": None,
        "availableAt": setup.clock.now().isoformat(),
    }


async def test_deliveries_of_a_disabled_endpoint_wait_and_go_once_it_is_enabled(
    setup: Setup,
) -> None:
    async with running_receiver() as shop:
        endpoint_id = await setup.endpoint(shop.url(), ["member.created"])
        await setup.members(1)
        await update_endpoint(
            endpoint_id, EndpointChanges(enabled=False), setup.clock.now(), require_https=False
        )
        assert await setup.send() == 0
        await update_endpoint(
            endpoint_id, EndpointChanges(enabled=True), setup.clock.now(), require_https=False
        )
        assert await setup.send() == 1
    assert len(shop.processed) == 1


async def test_a_delivery_that_keeps_failing_is_marked_failed_after_the_retry_window(
    db: str,
) -> None:
    clock = FrozenClock()
    policy = SenderPolicy(timeout=2.0, retry_for=timedelta(hours=6), base_delay=60, max_delay=3600)
    built = Setup(clock, policy)
    outcomes: list[str] = []

    class Observer:
        def delivered(self, request_seconds: float, lag_seconds: float) -> None:
            outcomes.append("delivered")

        def attempt_failed(self) -> None:
            outcomes.append("failed_attempt")

        def gave_up(self) -> None:
            outcomes.append("gave_up")

    built.sender.observer = Observer()
    async with running_receiver() as shop:
        shop.fail_next = 10_000
        await built.endpoint(shop.url(), ["member.created"])
        await built.members(1)
        start = clock.now()
        for _ in range(40):
            await built.send()
            clock.advance(minutes=30)
        await built.sender.close()

    [delivery] = await WebhookDelivery.all()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.response_status == 500 and "HTTP 500" in (delivery.last_error or "")
    assert delivery.last_attempt_at is not None
    assert delivery.last_attempt_at - start <= timedelta(hours=6, minutes=30)
    assert len(shop.received) == delivery.attempts >= 4
    assert outcomes == ["failed_attempt"] * (delivery.attempts - 1) + ["gave_up"]


async def test_redirects_are_not_followed(setup: Setup) -> None:
    async with running_receiver() as shop:
        await setup.endpoint(shop.url("/redirect"), ["member.created"])
        await setup.members(1)
        await setup.send()
    [delivery] = await WebhookDelivery.all()
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_status == 302
    assert "redirects are not followed" in (delivery.last_error or "")
    assert shop.at("/moved") == []


async def test_a_slow_endpoint_times_out_and_does_not_hold_up_the_others(db: str) -> None:
    clock = FrozenClock()
    policy = SenderPolicy(timeout=1.0, concurrency=6, per_endpoint=2)
    built = Setup(clock, policy)
    async with running_receiver() as shop:
        shop.slow_seconds = 2.0
        await built.endpoint(shop.url("/slow"), ["member.created"])
        await built.endpoint(shop.url("/fast"), ["member.created"])
        await built.members(6)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await built.sender.run()  # returns once nothing more can start
        fast_done = loop.time() - started
        await built.sender.drain()
        await built.sender.close()

    assert len(shop.receipts("/fast")) == 6
    # The fast endpoint's six went while the slow one held its two slots (never more), before
    # its requests timed out.
    assert fast_done < 1.0
    slow = await WebhookDelivery.filter(endpoint__url__endswith="/slow")
    timed_out = [d for d in slow if d.attempts]
    assert timed_out and all("no answer within 1 s" in (d.last_error or "") for d in timed_out)
    assert all(d.status == DeliveryStatus.PENDING for d in slow)


async def test_erasure_withdraws_what_waits_and_redacts_what_was_kept(setup: Setup) -> None:
    async with running_receiver() as shop:
        await setup.endpoint(shop.url(), ["member.created", "points.earned"])
        await setup.members(2)
        await setup.send()  # both member.created delivered
        await adjust_points("c0", 10, "goodwill", Actor("admin"), setup.clock.now())
        await setup.dispatcher.run_until_idle()  # points.earned queued, not sent yet
        member = await get_or_create_member("c0", setup.clock.now())
        await delete_my_account(member, True, setup.clock.now())
        await adjust_points("c1", 10, "goodwill", Actor("admin"), setup.clock.now())
        await setup.dispatcher.run_until_idle()
        await setup.send()

    delivered_types = [(r.json["type"], r.json["data"]["customerId"]) for r in shop.received]
    assert sorted(delivered_types) == [
        ("member.created", "c0"),
        ("member.created", "c1"),
        ("points.earned", "c1"),
    ]
    erased = await WebhookEvent.filter(member_id=member.id)
    assert len(erased) == 2 and all(e.redacted_at is not None for e in erased)
    assert all(json.loads(e.body)["data"]["customerId"] is None for e in erased)
    assert all('"c0"' not in e.body for e in erased)  # the id alone: hex event ids hold c0 too
    statuses = {
        (d.event.type, d.status)
        for d in await WebhookDelivery.filter(event__member_id=member.id).select_related("event")
    }
    assert statuses == {
        ("member.created", DeliveryStatus.DELIVERED),
        ("points.earned", DeliveryStatus.CANCELLED),
    }


async def test_a_rotation_signs_with_both_secrets_while_the_overlap_lasts(setup: Setup) -> None:
    from webhooks.endpoints import rotate_secret

    verify = documented_recipe()
    async with running_receiver() as shop:
        endpoint_id = await setup.endpoint(shop.url(), ["member.created"])
        _, new = await rotate_secret(endpoint_id, setup.clock.now(), keep_previous_hours=1)
        await setup.members(1, prefix="x")
        await setup.send()
        setup.clock.advance(hours=2)
        await setup.members(1, prefix="y")
        await setup.send()

    during, after = shop.received
    now = setup.clock.now().timestamp()
    assert during.headers["fidelio-signature"].count("v1=") == 2
    assert verify(SECRET, during.headers["fidelio-signature"], during.body, now=now - 7200)
    assert verify(new, during.headers["fidelio-signature"], during.body, now=now - 7200)
    assert after.headers["fidelio-signature"].count("v1=") == 1
    assert not verify(SECRET, after.headers["fidelio-signature"], after.body, now=now)
    assert verify(new, after.headers["fidelio-signature"], after.body, now=now)
