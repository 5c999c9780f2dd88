"""Helpers shared by the push area's integration tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.clock import FrozenClock
from domain.events import DomainEvent, record_event
from domain.members.models import Device, Member, Platform
from domain.members.services import get_or_create_member
from domain.outbox.dispatcher import Dispatcher
from push.automations import AutomationSettings
from push.live import NoLiveFeed, NotificationPublisher
from push.wiring import push_handlers
from tests.redis_support import read_shard_message


async def member(
    customer_id: str,
    now: datetime,
    *,
    name: str | None = None,
    locale: str = "en",
    time_zone: str = "UTC",
    tier_level: int = 0,
    devices: int = 1,
) -> Member:
    created = await get_or_create_member(customer_id, now)
    await Member.filter(id=created.id).update(
        display_name=name or customer_id.title(),
        locale=locale,
        time_zone=time_zone,
        tier_level=tier_level,
    )
    for i in range(devices):
        await Device.create(
            member_id=created.id,
            token=f"token-{customer_id}-{i}",
            platform=Platform.ANDROID,
            created_at=now,
            last_seen_at=now,
        )
    return await Member.get(id=created.id)


async def publish_event(event: DomainEvent, now: datetime) -> None:
    async with in_transaction():
        await record_event(event, now)


def dispatcher(
    clock: FrozenClock,
    *,
    automations: AutomationSettings | None = None,
    publisher: NotificationPublisher | None = None,
) -> Dispatcher:
    handlers = push_handlers(
        clock, publisher or NoLiveFeed(), automations or AutomationSettings(enabled=True)
    )
    return Dispatcher(handlers, clock, base_backoff=timedelta(seconds=1))


@asynccontextmanager
async def listening(redis: Any, channel: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Collects the JSON messages published on `channel` while the block runs."""
    received: list[dict[str, Any]] = []
    pubsub = redis.pubsub()
    await pubsub.ssubscribe(channel)
    await read_shard_message(pubsub, wait_seconds=1.0)  # the subscription confirmation
    try:
        yield received
    finally:
        for _ in range(20):
            message = await read_shard_message(
                pubsub, wait_seconds=0.1, ignore_subscribe_messages=True
            )
            if message is None:
                if received:
                    break
                await asyncio.sleep(0.01)
                continue
            received.append(json.loads(message["data"]))
        await pubsub.sunsubscribe(channel)
        await pubsub.aclose()
