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

from domain.achievements.events import BadgeEarned, ChallengeCompleted, LeaderboardPrizeAwarded
from domain.activity import ActivityObserver
from domain.clock import Clock
from domain.drops.events import DropOpened
from domain.events import DomainEvent
from domain.members.events import DeviceMoved, MemberErased
from domain.outbox.dispatcher import Batched, Delivery
from domain.points.events import PointsExpiringSoon
from domain.program import ProgramCache
from domain.referrals.events import ReferralCompleted
from domain.scheduling import ScheduledJob
from domain.tiers.events import TierChanged
from domain.versions import VersionReader
from push.anniversaries.services import celebrate_anniversaries
from push.automations import (
    AutomationSettings,
    celebrate_birthdays,
    expiring_points_reminder_due,
    win_back_lapsed_members,
)
from push.campaigns.services import announce_drop, fan_out_campaigns
from push.gateway import PushGateway
from push.live import NotificationPublisher, RedisNotificationPublisher
from push.notifications.delivery import DeliveryPolicy, deliver_until_idle
from push.notifications.handlers import NotificationHandlers
from push.ports import CouponIssuer, DomainCoupons, DomainSegments, SegmentDirectory
from push.stores.geoindex import GeofenceIndex
from push.stores.visits import VisitServices, erase_member_visits


class PushSettings(Protocol):
    @property
    def redis_prefix(self) -> str: ...
    @property
    def automations_enabled(self) -> bool: ...
    #: Admin campaigns fall back on this locale's text for members whose language has none.
    @property
    def program_locale(self) -> str: ...


@dataclass
class PushArea:
    handlers: dict[str, list[Delivery]]
    jobs: list[ScheduledJob]
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


def push_handlers(
    clock: Clock, publisher: NotificationPublisher, automations: AutomationSettings
) -> dict[str, list[Delivery]]:
    """The push area's reactions to domain events, `{event kind: [handler]}` for the
    dispatcher: notifications (`push.notifications.handlers`), drop announcements
    (campaigns), the expiring-points reminder (automations) and a member's erasure
    (notifications and store visits)."""
    notifications = NotificationHandlers(clock, publisher)

    async def drop_opened(event: DropOpened) -> None:
        await announce_drop(
            event.drop_id, event.title, event.early_access, event.min_tier_level, clock.now()
        )

    async def points_expiring_soon(event: PointsExpiringSoon) -> None:
        now = clock.now()
        if await expiring_points_reminder_due(event, now, automations):
            await notifications.points_expiring(event, now)

    async def member_erased(event: MemberErased) -> None:
        await notifications.member_erased(event)
        await erase_member_visits(event.member_id)

    table: dict[type[DomainEvent], Callable[[Any], Awaitable[None]] | Batched] = {
        BadgeEarned: notifications.badge_earned,
        ChallengeCompleted: notifications.challenge_completed,
        LeaderboardPrizeAwarded: notifications.leaderboard_prize_awarded,
        TierChanged: Batched(notifications.tier_changes),
        DropOpened: drop_opened,
        PointsExpiringSoon: points_expiring_soon,
        ReferralCompleted: notifications.referral_completed,
        MemberErased: member_erased,
        DeviceMoved: notifications.device_moved,
    }
    return {event_type.kind: [handler] for event_type, handler in table.items()}


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
    handlers = push_handlers(clock, publisher, automations)

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
        ScheduledJob("push.deliver", timedelta(seconds=1), deliver),
        ScheduledJob("push.campaigns", timedelta(seconds=5), campaigns),
    ]
    if automations.enabled:
        jobs += [
            ScheduledJob("push.birthdays", timedelta(hours=1), birthdays),
            ScheduledJob("push.win_back", timedelta(hours=6), win_backs),
            ScheduledJob("push.anniversaries", timedelta(hours=1), anniversaries),
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
