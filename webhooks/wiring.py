"""How the app factory assembles webhooks: the outbox handlers, the sender and its job.

    webhooks = build_webhooks_area(settings, clock)
    handlers = merge(..., webhooks.handlers)      # {event kind: [handler]} for the dispatcher
    for job in webhooks.jobs: scheduler.every(job.every, job.run)
    ...
    await webhooks.close()                        # lets sends in flight finish

`settings` is anything with the attributes of `WebhookSettings` (api.settings.Settings has them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx

from domain.clock import Clock
from domain.outbox.dispatcher import Delivery
from domain.scheduling import ScheduledJob
from webhooks.fanout import webhook_handlers
from webhooks.sender import SenderPolicy, WebhookSender


class WebhookSettings(Protocol):
    @property
    def webhook_timeout_seconds(self) -> float: ...
    @property
    def webhook_retry_hours(self) -> float: ...
    @property
    def webhook_concurrency(self) -> int: ...
    @property
    def webhook_concurrency_per_endpoint(self) -> int: ...


@dataclass
class WebhooksArea:
    handlers: dict[str, list[Delivery]]
    jobs: list[ScheduledJob]
    sender: WebhookSender

    @property
    def retry_for(self) -> timedelta:
        """How long a delivery (or a replay) keeps being retried."""
        return self.sender.policy.retry_for

    async def close(self) -> None:
        await self.sender.close()


def policy_of(settings: WebhookSettings) -> SenderPolicy:
    """The sender's policy from the settings (the lease outlasts a request several times)."""
    timeout = settings.webhook_timeout_seconds
    return SenderPolicy(
        timeout=timeout,
        retry_for=timedelta(hours=settings.webhook_retry_hours),
        concurrency=settings.webhook_concurrency,
        per_endpoint=settings.webhook_concurrency_per_endpoint,
        lease=max(timedelta(minutes=2), timedelta(seconds=timeout * 4)),
    )


def build_webhooks_area(
    settings: WebhookSettings,
    clock: Clock,
    *,
    policy: SenderPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WebhooksArea:
    policy = policy or policy_of(settings)
    sender = WebhookSender(clock, policy, transport=transport)

    async def deliver(now: datetime) -> int:
        return await sender.run(now)

    return WebhooksArea(
        handlers=webhook_handlers(clock, policy.retry_for),
        jobs=[ScheduledJob("webhooks.deliver", timedelta(seconds=1), deliver)],
        sender=sender,
    )
