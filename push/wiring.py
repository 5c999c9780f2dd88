"""How the app factory assembles the push area: handlers, jobs, the gateway, the services.

    push = build_push_area(settings, redis, clock, observer=engine, gateway=runtime_gateway,
                           segments=..., coupons=...)
    handlers = merge(..., push.handlers)      # {event kind: [handler]} for the dispatcher
    for job in push.jobs: scheduler.every(job.every, job.run)   # job.run(now)

The gateway is the runtime's (closed by it).

`settings` is anything with the attributes of `PushSettings` (api.settings.Settings has them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from domain.activity import ActivityObserver
from domain.clock import Clock
from domain.program import ProgramCache
from domain.versions import VersionReader
from push.anniversaries.services import celebrate_anniversaries
from push.automations import AutomationSettings, celebrate_birthdays, win_back_lapsed_members
from push.campaigns.services import fan_out_campaigns
from push.gateway import PushGateway
from push.live import RedisNotificationPublisher
from push.notifications.delivery import DeliveryPolicy, deliver_until_idle
from push.notifications.handlers import Handler, NotificationHandlers
from push.ports import CouponIssuer, DomainCoupons, DomainSegments, SegmentDirectory
from push.stores.geoindex import GeofenceIndex
from push.stores.visits import VisitServices


class PushSettings(Protocol):
    redis_prefix: str
    automations_enabled: bool
    #: Admin campaigns fall back on this locale's text for members whose language has none.
    program_locale: str


@dataclass(frozen=True)
class Job:
    """Something to run every `every`; `run(now)` returns how much it did."""

    name: str
    every: timedelta
    run: Callable[[datetime], Awaitable[int]]


@dataclass
class PushArea:
    handlers: dict[str, list[Handler]]
    jobs: list[Job]
    gateway: PushGateway
    geofences: GeofenceIndex
    visits: VisitServices
    segments: SegmentDirectory
    coupons: CouponIssuer
    publisher: RedisNotificationPublisher
    automations: AutomationSettings
    delivery_policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)

    async def rebuild_geofence_index(self) -> int:
        """Refill the geofence index from the database (searches also do it by themselves
        when they find the index missing)."""
        return await self.geofences.rebuild()


def build_push_area(
    settings: PushSettings,
    redis: Any,
    clock: Clock,
    *,
    observer: ActivityObserver,
    segments: SegmentDirectory | None = None,
    coupons: CouponIssuer | None = None,
    gateway: PushGateway,
    automations: AutomationSettings | None = None,
    delivery_policy: DeliveryPolicy | None = None,
    versions: VersionReader | None = None,
    program: ProgramCache | None = None,
) -> PushArea:
    segments = segments or DomainSegments()
    coupons = coupons or DomainCoupons()
    automations = automations or AutomationSettings(enabled=settings.automations_enabled)
    policy = delivery_policy or DeliveryPolicy()
    publisher = RedisNotificationPublisher(redis, settings.redis_prefix)
    geofences = GeofenceIndex(redis, settings.redis_prefix)
    handlers = NotificationHandlers(clock, publisher, automations).handlers()

    async def deliver(now: datetime) -> int:
        report = await deliver_until_idle(gateway, now, policy=policy)
        return report.sent + report.failed + report.skipped

    async def campaigns(now: datetime) -> int:
        return await fan_out_campaigns(
            now, segments, publisher, default_locale=settings.program_locale
        )

    async def birthdays(now: datetime) -> int:
        return await celebrate_birthdays(now, automations, publisher)

    async def win_backs(now: datetime) -> int:
        return await win_back_lapsed_members(now, automations, publisher)

    async def anniversaries(now: datetime) -> int:
        return await celebrate_anniversaries(now, automations, coupons, publisher)

    jobs = [
        Job("push.deliver", timedelta(seconds=1), deliver),
        Job("push.campaigns", timedelta(seconds=5), campaigns),
    ]
    if automations.enabled:
        jobs += [
            Job("push.birthdays", timedelta(hours=1), birthdays),
            Job("push.win_back", timedelta(hours=6), win_backs),
            Job("push.anniversaries", timedelta(hours=1), anniversaries),
        ]
    return PushArea(
        handlers=handlers,
        jobs=jobs,
        gateway=gateway,
        geofences=geofences,
        visits=VisitServices(
            geofences,
            observer,
            segments,
            coupons,
            publisher,
            versions=versions or VersionReader(),
            program=program or ProgramCache(versions),
        ),
        segments=segments,
        coupons=coupons,
        publisher=publisher,
        automations=automations,
        delivery_policy=policy,
    )
