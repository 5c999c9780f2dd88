"""The running program's parts, built once from the settings: the composition root.

`build_runtime` wires the database, Redis (or the in-process stand-in), the clock, the push
gateway, the achievement engine, the outbox dispatcher with its handlers and the scheduled
jobs. The app factory and the worker both use it; tests build one with a frozen clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.db import close_database, open_database
from api.drop_gate import RedisUnitCounter
from api.fragments import FragmentStore
from api.live import ChannelFanout, session_handlers
from api.member_ids import MemberIds
from api.ratelimit import RateLimiter
from api.redis_cluster import RedisClient, is_cluster_url, redis_cluster_client
from api.settings import Settings
from domain.activity import ActivityObserver
from domain.clock import Clock, SystemClock
from domain.drops import jobs as drops_jobs
from domain.drops.admission import DropAdmission
from domain.drops.queries import DropShelf
from domain.offers.services import OfferSettings, retrain_if_due
from domain.offers.training import TrainingParameters
from domain.outbox.dispatcher import Delivery, Dispatcher
from domain.points.expiry import expire_points, remind_expiring_points
from domain.privacy.export import DOMAIN_SECTIONS, SectionProvider
from domain.program import ProgramCache
from domain.referrals.handlers import referral_handlers
from domain.rewards.catalogue import RewardCatalogue
from domain.rewards.coupons import expire_coupons
from domain.scheduling import ScheduledJob, schedule
from domain.segments.counting import refresh_segment_counts
from domain.tiers.review import review_changed_tiers
from domain.versions import SharedRead, VersionReader
from gamification.achievements.queries import (
    BadgeFigures,
    BadgeShelf,
    ChallengeShelf,
    badge_figures,
)
from gamification.achievements.wiring import achievement_jobs, build_engine
from gamification.leaderboards.boards import Boards
from gamification.leaderboards.wiring import leaderboard_handlers, leaderboard_jobs
from push.gateway import LogGateway, PushGateway
from push.privacy import export_sections as push_export_sections
from push.wiring import PushArea, build_push_area
from webhooks.wiring import WebhooksArea, build_webhooks_area

log = logging.getLogger("fidelio.runtime")


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    redis: RedisClient
    gateway: PushGateway
    observer: ActivityObserver
    handlers: dict[str, list[Delivery]]
    jobs: list[ScheduledJob]
    dispatcher: Dispatcher
    push: PushArea
    #: exportMyData's sections, in document order: {name: provider(member_id)}.
    export_sections: dict[str, SectionProvider] = field(default_factory=dict)
    #: Leaderboards on this runtime's Redis (their live announcements run as tasks).
    boards: Boards | None = None
    #: The earning rules and tier ladder, kept in memory while their versions stay put.
    program: ProgramCache = field(default_factory=ProgramCache)
    #: The process's shared Redis pub/sub for subscriptions (created on first use).
    fanout: ChannelFanout | None = None
    #: Reads of the configuration versions, shared by concurrent requests.
    versions: VersionReader = field(default_factory=VersionReader)
    #: The rewards on offer, kept while the catalogue's version stays put.
    rewards: RewardCatalogue = field(default_factory=RewardCatalogue)
    #: Every badge, kept while the achievements catalogue's version stays put.
    badges: BadgeShelf = field(default_factory=BadgeShelf)
    #: Every challenge, likewise.
    challenges: ChallengeShelf = field(default_factory=ChallengeShelf)
    #: Badges' holder counts and the member count (the base of rarity), shared by the
    #: process's requests: read at most once per `RARITY_MAX_AGE` seconds.
    rarity: SharedRead[BadgeFigures] = field(default_factory=lambda: SharedRead(badge_figures))
    #: Completed answers of public subtrees (api.fragments).
    fragments: FragmentStore = field(default_factory=FragmentStore)
    #: The first-come drops' admission gate (a counter in Redis before the database).
    drop_admission: DropAdmission | None = None
    #: The drops list's rows, kept while the drops' version stays put, their stock at most
    #: a second old (on the runtime's clock, for the drops' windows).
    drops: DropShelf = field(init=False)
    #: Webhooks to the shop: their outbox handlers and the delivery sender.
    webhooks: WebhooksArea | None = None
    #: Personal offers: when to retrain the recommender, and with what.
    offers: OfferSettings = field(default_factory=OfferSettings)
    #: Member tokens' customer ids -> member ids (a guess each read confirms: api.member_ids).
    member_ids: MemberIds = field(default_factory=MemberIds)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _database_open: bool = False

    def __post_init__(self) -> None:
        self.drops = DropShelf(self.clock)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """Per-caller rate limits on this runtime's Redis (its scripts registered once)."""
        return RateLimiter(self.redis, self.settings.redis_prefix)

    async def start(self, *, open_db: bool = True, background: bool | None = None) -> None:
        if open_db:
            await open_database(self.settings.database_url)
            self._database_open = True
        if self.settings.run_background if background is None else background:
            self.start_background()

    def start_background(self) -> None:
        self._tasks.append(
            asyncio.create_task(self.dispatcher.run_forever(self.settings.dispatcher_poll_seconds))
        )
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(self._run_job_forever(job)))

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> None:
        """Run `work` as a task of this process (a console's back-fill), stopped with the
        runtime; its failure is logged. Work that must survive the process keeps its state in
        the database and a scheduled job resumes it."""

        async def guarded() -> None:
            try:
                await work
                self.dispatcher.wake()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("task %s failed", name)

        self._tasks.append(asyncio.create_task(guarded(), name=name))

    async def run_jobs_once(
        self, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, int]:
        """Run every scheduled job once now (tests, the worker's first round, the CLI);
        `progress(done, total)` hears of each job finished."""
        handled: dict[str, int] = {}
        for done, job in enumerate(self.jobs, start=1):
            handled[job.name] = await job.run(self.clock.now())
            if progress is not None:
                progress(done, len(self.jobs))
        return handled

    async def _run_job_forever(self, job: ScheduledJob) -> None:
        while True:
            try:
                done = await job.run(self.clock.now())
                if done:
                    log.info("job %s handled %s items", job.name, done)
                    self.dispatcher.wake()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s failed", job.name)
            await asyncio.sleep(job.every.total_seconds())

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.webhooks is not None:
            await self.webhooks.close()
        if self.boards is not None:
            await self.boards.announced()
            await self.boards.close()
        if self.fanout is not None:
            await self.fanout.close()
        await self.gateway.close()
        await self.redis.aclose()
        if self._database_open:
            await close_database()
            self._database_open = False


#: Connections one process keeps to Redis at most. A burst of commands beyond it (say the
#: announcements of an outbox backlog replayed after an outage, or a storm of drop claims:
#: rate limit, then admission gate) waits for a free connection, up to
#: `REDIS_POOL_WAIT_SECONDS`, rather than failing with "Too many connections".
REDIS_MAX_CONNECTIONS = 100
REDIS_POOL_WAIT_SECONDS = 10.0
#: A connection idle this long is checked (PING) before use: after a Redis restart the pool's
#: old connections are dead, and are replaced rather than handed out.
REDIS_HEALTH_CHECK_SECONDS = 5


def redis_client(url: str) -> RedisClient:
    """A client of the Redis at `url`: a blocking pool (bounded, waits for a connection
    instead of raising), health checks of idle connections, and a few retries with jittered
    backoff on connection errors and timeouts. A `redis+cluster://` URL gets a Redis Cluster
    client with the same checks and retries (`api.redis_cluster`)."""
    if is_cluster_url(url):
        return redis_cluster_client(url, health_check_seconds=REDIS_HEALTH_CHECK_SECONDS)
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_POOL_WAIT_SECONDS,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
        socket_connect_timeout=2.0,
        socket_keepalive=True,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return aioredis.Redis.from_pool(pool)


def make_redis(settings: Settings) -> RedisClient:
    """The process's Redis client. On a real server: a blocking pool (bounded, waits for a
    connection instead of raising), health checks of idle connections, and a few retries with
    jittered backoff on connection errors and timeouts (a restart is survived by reconnecting;
    a longer outage raises to the caller, who retries at its own pace)."""
    if settings.redis_url:
        return redis_client(settings.redis_url)
    import fakeredis

    # The embedded default: one process only (pub/sub and counters live in this process).
    return fakeredis.FakeAsyncRedis(decode_responses=True)


def make_boards(
    settings: Settings, redis: RedisClient, versions: VersionReader | None = None
) -> Boards:
    """Leaderboards on this runtime's Redis, closing periods in the program's time zone."""
    return Boards(
        redis, settings.redis_prefix, ZoneInfo(settings.program_timezone), versions=versions
    )


def make_gateway(settings: Settings, clock: Clock) -> PushGateway:
    if settings.push_gateway == "fcm":
        from push.fcm import FcmGateway

        assert settings.fcm_credentials_file
        return FcmGateway(
            settings.fcm_credentials_file, fcm_endpoint=settings.fcm_endpoint, clock=clock
        )
    return LogGateway()


def drop_jobs() -> list[ScheduledJob]:
    async def announce(now: datetime) -> int:
        return len(await drops_jobs.announce_drops(now))

    return [
        ScheduledJob(
            "drops.release_expired_reservations",
            timedelta(seconds=30),
            drops_jobs.release_expired_reservations,
        ),
        ScheduledJob("drops.announce", timedelta(seconds=15), announce),
    ]


def offer_settings(settings: Settings) -> OfferSettings:
    """The recommender's settings from the program's."""
    return OfferSettings(
        retrain_after=settings.offers_retrain_interactions,
        parameters=TrainingParameters(min_members=settings.offers_min_members),
    )


def offer_jobs(settings: Settings, offers: OfferSettings) -> list[ScheduledJob]:
    """The recommender's training, when enough new interactions arrived (checked cheaply)."""

    async def retrain(now: datetime) -> int:
        return await retrain_if_due(now, offers)

    return [ScheduledJob("offers.train", timedelta(minutes=settings.offers_check_minutes), retrain)]


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    redis: RedisClient | None = None,
    gateway: PushGateway | None = None,
    webhooks: WebhooksArea | None = None,
) -> Runtime:
    clock = clock or SystemClock()
    redis = redis if redis is not None else make_redis(settings)
    gateway = gateway or make_gateway(settings, clock)
    versions = VersionReader()
    # One configuration cache per process, reading the versions through the shared reader.
    program = ProgramCache(versions)
    observer: ActivityObserver = build_engine(program)
    push = build_push_area(
        settings,
        redis,
        clock,
        observer=observer,
        gateway=gateway,
        versions=versions,
        program=program,
    )
    handlers: dict[str, list[Delivery]] = {}
    webhooks = webhooks or build_webhooks_area(settings, clock)
    for area_handlers in (
        referral_handlers(clock, observer, program),
        push.handlers,
        webhooks.handlers,
    ):
        for kind, handlers_of_kind in area_handlers.items():
            handlers.setdefault(kind, []).extend(handlers_of_kind)
    domain_jobs = [
        ScheduledJob("expire-points", timedelta(hours=1), expire_points),
        ScheduledJob("remind-expiring-points", timedelta(hours=1), remind_expiring_points),
        ScheduledJob("review-tiers", timedelta(hours=24), review_changed_tiers),
        ScheduledJob("expire-coupons", timedelta(minutes=5), expire_coupons),
        ScheduledJob("segment-counts", timedelta(minutes=15), refresh_segment_counts),
    ]
    offers = offer_settings(settings)
    # Each layer adds the sections of the member's data it owns.
    export_sections: dict[str, SectionProvider] = {**DOMAIN_SECTIONS, **push_export_sections()}
    boards = make_boards(settings, redis, versions)
    for kind, kind_handlers in leaderboard_handlers(boards, clock).items():
        handlers.setdefault(kind, []).extend(kind_handlers)
    for kind, live_handlers in session_handlers(redis, settings.redis_prefix).items():
        handlers.setdefault(kind, []).extend(live_handlers)
    # Each job once: a name given twice is refused (`DuplicateJob`), not run twice.
    jobs = schedule(
        domain_jobs,
        drop_jobs(),
        push.jobs,
        webhooks.jobs,
        offer_jobs(settings, offers),
        leaderboard_jobs(boards),
        achievement_jobs(clock.now),
    )
    dispatcher = Dispatcher(handlers, clock, skip_locked=settings.is_postgres)
    return Runtime(
        settings=settings,
        clock=clock,
        redis=redis,
        gateway=gateway,
        observer=observer,
        handlers=handlers,
        jobs=jobs,
        dispatcher=dispatcher,
        push=push,
        export_sections=export_sections,
        boards=boards,
        fanout=ChannelFanout(redis),
        versions=versions,
        # On the runtime's clock, so that a test's frozen clock decides when figures are old.
        rarity=SharedRead(badge_figures, clock=lambda: clock.now().timestamp()),
        program=program,
        drop_admission=DropAdmission(RedisUnitCounter(redis, settings.redis_prefix)),
        webhooks=webhooks,
        offers=offers,
    )
