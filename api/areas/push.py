"""GraphQL of the push area: the feed and preferences, geofences and promotions, campaigns,
and the live `notificationReceived` subscription."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.ids import parse_id_input
from api.live import ChannelFanout
from api.types.common import (
    PageInfo,
    UserError,
    decode_cursor,
    encode_cursor,
    page_size,
    user_errors,
)
from api.types.push import (
    Campaign,
    CampaignConnection,
    CampaignPlaceholder,
    CampaignPreview,
    FailedPush,
    Geofence,
    GeofenceTransition,
    Notification,
    NotificationCategory,
    NotificationPreferences,
    Promotion,
    Store,
    TriggeredPromotion,
)
from domain.errors import DomainError
from domain.members.models import Member
from domain.versions import Versions
from push.campaigns import services as campaigns
from push.campaigns.texts import PLACEHOLDERS, CampaignText
from push.live import notification_channel
from push.notifications import preferences
from push.notifications import services as notifications
from push.stores import models as store_models
from push.stores import services as stores
from push.stores import visits

log = logging.getLogger("fidelio.api")


def _keep_if_unset(value: str | None) -> str | preferences.Keep | None:
    return preferences.KEEP if value is strawberry.UNSET else value


@strawberry.input(description="Preferences to change; omitted fields stay as they are.")
class NotificationPreferencesInput:
    push_enabled: bool | None = strawberry.field(default=None, description="Push at all.")
    categories: list[NotificationCategory] | None = strawberry.field(
        default=None, description="The categories to push (the rest stay in the feed)."
    )
    quiet_hours_start: str | None = strawberry.field(
        default=strawberry.UNSET, description="Local HH:MM; null clears the quiet hours."
    )
    quiet_hours_end: str | None = strawberry.field(
        default=strawberry.UNSET, description="Local HH:MM; null clears the quiet hours."
    )
    max_pushes_per_day: int | None = strawberry.field(default=None, description="0-50.")


@strawberry.type(description="The result of updateNotificationPreferences.")
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = strawberry.field(
        description="The preferences now in force; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="Which notifications to mark read.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Empty: all.")


@strawberry.type(description="The result of markNotificationsRead.")
class MarkNotificationsReadPayload:
    unread_count: int = strawberry.field(description="Notifications still unread.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was marked.")


@strawberry.input(description="A geofence transition seen by the device.")
class GeofenceEventInput:
    geofence_id: strawberry.ID = strawberry.field(description="From nearbyGeofences.")
    transition: GeofenceTransition = strawberry.field(description="Enter, dwell or exit.")
    latitude: float | None = strawberry.field(default=None, description="Where, if known.")
    longitude: float | None = strawberry.field(default=None, description="Where, if known.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When (up to 6 hours ago); omitted: now."
    )


@strawberry.input(description="Where the device is.")
class ReportLocationInput:
    latitude: float = strawberry.field(description="Degrees north.")
    longitude: float = strawberry.field(description="Degrees east.")
    accuracy_meters: float | None = strawberry.field(
        default=None, description="Radius of uncertainty; beyond 1 km nothing matches."
    )


@strawberry.type(description="The result of reportGeofenceEvent and reportLocation.")
class GeofenceEventPayload:
    triggered: list[TriggeredPromotion] = strawberry.field(
        description="The promotions that fired (none during their cooldown)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the report was refused.")


@strawberry.input(description="A store and its geofence, keyed by code.")
class StoreInput:
    code: str = strawberry.field(description="The shop's code for the store.")
    name: str = strawberry.field(description="1-120 characters.")
    address: str | None = strawberry.field(default=None, description="Up to 300 characters.")
    latitude: float = strawberry.field(description="Degrees north, within ±85.05.")
    longitude: float = strawberry.field(description="Degrees east.")
    geofence_radius_meters: float = strawberry.field(description="50 to 50,000 metres.")


@strawberry.type(description="The result of upsertStore.")
class StorePayload:
    store: Store | None = strawberry.field(description="The store as saved; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="A promotion, keyed by code.")
class PromotionInput:
    code: str = strawberry.field(description="The admin's code for it.")
    title: str = strawberry.field(description="The push title, up to 100 characters.")
    message: str = strawberry.field(description="The push text, up to 500 characters.")
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends (excluded).")
    store_codes: list[str] | None = strawberry.field(
        default=None, description="Empty: every store."
    )
    segment_code: str | None = strawberry.field(default=None, description="Only this segment.")
    bonus_points: int | None = strawberry.field(default=0, description="0-100,000 points.")
    reward_code: str | None = strawberry.field(
        default=None, description="A reward handed out as a coupon."
    )
    cooldown_hours: int | None = strawberry.field(
        default=24, description="A member gets this promotion at most once in this many hours."
    )
    transitions: list[GeofenceTransition] | None = strawberry.field(
        default_factory=lambda: [GeofenceTransition.ENTER],
        description="The transitions that fire it.",
    )


@strawberry.type(description="The result of upsertPromotion.")
class PromotionPayload:
    promotion: Promotion | None = strawberry.field(description="As saved; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="A message to a segment or everyone, now or later.")
class CampaignInput:
    code: str = strawberry.field(description="Unique; sending it again is harmless.")
    title: str = strawberry.field(description="Up to 100 characters.")
    body: str = strawberry.field(description="Up to 500 characters.")
    deep_link: str | None = strawberry.field(default=None, description="An app link.")
    segment_code: str | None = strawberry.field(default=None, description="Empty: every member.")
    bonus_points: int | None = strawberry.field(default=0, description="Points per recipient.")
    send_at: datetime | None = strawberry.field(default=None, description="Omitted: now.")
    texts: list[CampaignTextInput] | None = strawberry.field(
        default=None,
        description="The title and body in other locales. A member reads the text of their "
        "locale, else of its language, else of the program's default locale, else `title` "
        "and `body`. Every text may use the placeholders of `campaignPlaceholders` ({name}, "
        "{points}, {tier}...), with a default after a bar ({first_name|there}); any other is "
        "UNKNOWN_PLACEHOLDER on its field. Null or omitted: none.",
    )


@strawberry.input(description="A campaign's title and body in one locale.")
class CampaignTextInput:
    locale: str = strawberry.field(
        description="A language (ISO 639), optionally with a region: 'es', 'es-MX', 'pt-BR'."
    )
    title: str = strawberry.field(description="Up to 100 characters, placeholders allowed.")
    body: str = strawberry.field(description="Up to 500 characters, placeholders allowed.")


@strawberry.input(description="A draft campaign's texts and the member to read them as.")
class CampaignPreviewInput:
    customer_id: str = strawberry.field(description="The member, by the shop's customer id.")
    title: str = strawberry.field(description="The base title, as in CampaignInput.")
    body: str = strawberry.field(description="The base text, as in CampaignInput.")
    texts: list[CampaignTextInput] | None = strawberry.field(
        default=None, description="The texts in other locales, as in CampaignInput."
    )


@strawberry.type(description="The result of campaignPreview.")
class CampaignPreviewPayload:
    preview: CampaignPreview | None = strawberry.field(
        description="The text as the member would read it; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(
        description="What is wrong with the draft (each on its field), or the member unknown."
    )


def _texts(given: list[CampaignTextInput] | None) -> tuple[CampaignText, ...]:
    return tuple(CampaignText(t.locale, t.title, t.body) for t in given or ())


@strawberry.type(description="The result of sendCampaign.")
class CampaignPayload:
    campaign: Campaign | None = strawberry.field(description="The campaign; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not scheduled.")


def _ids(raw: list[strawberry.ID]) -> list[int]:
    return [
        parse_id_input(value, ["input", "ids", str(i)], "notification")
        for i, value in enumerate(raw)
    ]


def _geofence_id(raw: strawberry.ID) -> int:
    return parse_id_input(raw, ["input", "geofenceId"], "geofence")


@strawberry.type
class Query:
    @strawberry.field(
        description="The geofences nearest to a point, for the app to monitor on the device "
        "(iOS monitors at most 20)."
    )
    async def nearby_geofences(
        self, info: Info, latitude: float, longitude: float, limit: int | None = 20
    ) -> list[Geofence]:
        info.context.require(Role.MEMBER, Role.ADMIN)
        try:
            found = await stores.nearby_geofences(
                latitude,
                longitude,
                info.context.runtime.push.geofences,
                stores.NEARBY_DEFAULT if limit is None else limit,
            )
        except DomainError as error:
            raise to_client_error(error) from error
        return [Geofence.from_nearby(g) for g in found]

    @strawberry.field(description="Admin: notifications whose push failed for good, newest first.")
    async def failed_pushes(
        self, info: Info, first: int | None = 20, after: strawberry.ID | None = None
    ) -> list[FailedPush]:
        info.context.require(Role.ADMIN)
        try:
            size = page_size(first, ["first"])
            after_id = (
                parse_id_input(after, ["after"], "notification") if after is not None else None
            )
            rows = await notifications.failed_pushes(size, after_id)
        except DomainError as error:
            raise to_client_error(error) from error
        return [
            FailedPush(
                notification=Notification.from_model(n),
                customer_id=n.member.customer_id,
                attempts=n.attempts,
                last_error=n.last_error,
            )
            for n in rows
        ]

    @strawberry.field(description="Admin: every store and its geofence, by name.")
    async def stores(self, info: Info) -> list[Store]:
        info.context.require(Role.ADMIN)
        return [Store.from_model(s) for s in await stores.list_stores()]

    @strawberry.field(description="Admin: every promotion, the latest to start first.")
    async def promotions(self, info: Info) -> list[Promotion]:
        info.context.require(Role.ADMIN)
        return [Promotion.from_model(p) for p in await stores.list_promotions()]

    @strawberry.field(description="Admin: campaigns, newest first (admins' and drops').")
    async def campaigns(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> CampaignConnection:
        info.context.require(Role.ADMIN)
        try:
            size = page_size(first, ["first"])
            before_id = decode_cursor(CAMPAIGN_CURSOR, after, ["after"])
        except DomainError as error:
            raise to_client_error(error) from error
        rows, more = await campaigns.campaign_page(size, before_id)
        return CampaignConnection(
            nodes=[Campaign.from_model(c) for c in rows],
            page_info=PageInfo(
                has_next_page=more,
                end_cursor=encode_cursor(CAMPAIGN_CURSOR, rows[-1].id) if rows else None,
            ),
        )

    @strawberry.field(description="Admin: a campaign by its code; null when there is none.")
    async def campaign(self, info: Info, code: str) -> Campaign | None:
        info.context.require(Role.ADMIN)
        found = await campaigns.campaign_by_code(code)
        return Campaign.from_model(found) if found is not None else None

    @strawberry.field(
        description="Admin: a draft campaign's text as a chosen member would read it (their "
        "locale's text, placeholders filled with their values now). Nothing is saved."
    )
    async def campaign_preview(
        self, info: Info, input: CampaignPreviewInput
    ) -> CampaignPreviewPayload:
        info.context.require(Role.ADMIN)
        try:
            preview = await campaigns.preview_campaign(
                input.customer_id,
                input.title,
                input.body,
                _texts(input.texts),
                info.context.now,
                info.context.runtime.settings.program_locale,
            )
        except DomainError as error:
            return CampaignPreviewPayload(preview=None, user_errors=user_errors(error))
        return CampaignPreviewPayload(
            preview=CampaignPreview(
                customer_id=preview.customer_id,
                member_locale=preview.member_locale,
                text_locale=preview.text_locale,
                title=preview.title,
                body=preview.body,
            ),
            user_errors=[],
        )

    @strawberry.field(description="Admin: the placeholders campaigns' texts may use.")
    def campaign_placeholders(self, info: Info) -> list[CampaignPlaceholder]:
        info.context.require(Role.ADMIN)
        return [CampaignPlaceholder(name=n, description=d) for n, d in PLACEHOLDERS.items()]


CAMPAIGN_CURSOR = "campaign"


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Change what the signed-in member lets us push, and when.")
    async def update_notification_preferences(
        self, info: Info, input: NotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        member = await info.context.member()
        changes = preferences.PreferenceChanges(
            push_enabled=input.push_enabled,
            categories=[c.value for c in input.categories]
            if input.categories is not None
            else None,
            quiet_hours_start=_keep_if_unset(input.quiet_hours_start),
            quiet_hours_end=_keep_if_unset(input.quiet_hours_end),
            max_pushes_per_day=input.max_pushes_per_day,
        )
        try:
            saved = await preferences.update_notification_preferences(
                member.id, changes, info.context.now, locale=member.locale
            )
        except DomainError as error:
            return NotificationPreferencesPayload(preferences=None, user_errors=user_errors(error))
        return NotificationPreferencesPayload(
            preferences=NotificationPreferences.from_rules(saved), user_errors=[]
        )

    @strawberry.mutation(description="Mark some (or all) of the member's notifications read.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        member = await info.context.member()
        try:
            ids = _ids(input.ids) if input.ids else None
            unread = await notifications.mark_notifications_read(
                member.id, ids, info.context.now, locale=member.locale
            )
        except DomainError as error:
            return MarkNotificationsReadPayload(
                unread_count=await notifications.unread_count(member.id),
                user_errors=user_errors(error),
            )
        return MarkNotificationsReadPayload(unread_count=unread, user_errors=[])

    @strawberry.mutation(description="The device crossed a geofence: fire the promotions due.")
    async def report_geofence_event(
        self, info: Info, input: GeofenceEventInput
    ) -> GeofenceEventPayload:
        member = await info.context.member()
        try:
            triggered = await visits.report_geofence_event(
                member,
                _geofence_id(input.geofence_id),
                input.transition.value,
                info.context.now,
                info.context.runtime.push.visits,
                latitude=input.latitude,
                longitude=input.longitude,
                occurred_at=input.occurred_at,
            )
        except DomainError as error:
            return GeofenceEventPayload(triggered=[], user_errors=user_errors(error))
        return GeofenceEventPayload(
            triggered=[TriggeredPromotion.from_result(t) for t in triggered], user_errors=[]
        )

    @strawberry.mutation(description="Where the device is: the fences around it count as entered.")
    async def report_location(self, info: Info, input: ReportLocationInput) -> GeofenceEventPayload:
        context = info.context

        services = context.runtime.push.visits

        async def member_with_recent(
            promotions: Sequence[store_models.Promotion], at: datetime
        ) -> tuple[Member, dict[int, list[datetime]], Versions]:
            async def alone(member: Member) -> tuple[dict[int, list[datetime]], Versions]:
                recent = await visits.recent_triggers(member.id, promotions, at)
                return recent, await services.versions.read()

            member, (recent, versions) = await context.member_with(
                "recent-triggers",
                lambda customer_id: visits.member_with_recent(customer_id, promotions, at),
                alone,
            )
            return member, recent, versions

        # A member this process has seen is read only when a fence holds the point (most
        # reports are outside every fence), with their recent triggers. Seen first, the
        # member is created now, as by any other request.
        member = member_with_recent if context.member_seen() else await context.member()
        try:
            triggered = await visits.report_location(
                member,
                input.latitude,
                input.longitude,
                input.accuracy_meters,
                info.context.now,
                services,
            )
        except DomainError as error:
            return GeofenceEventPayload(triggered=[], user_errors=user_errors(error))
        return GeofenceEventPayload(
            triggered=[TriggeredPromotion.from_result(t) for t in triggered], user_errors=[]
        )

    @strawberry.mutation(description="Admin: create or update a store and its geofence.")
    async def upsert_store(self, info: Info, input: StoreInput) -> StorePayload:
        actor = info.context.admin()
        data = stores.StoreInput(
            code=input.code,
            name=input.name,
            address=input.address,
            latitude=input.latitude,
            longitude=input.longitude,
            geofence_radius_m=input.geofence_radius_meters,
        )
        try:
            saved = await stores.upsert_store(
                data, info.context.now, info.context.runtime.push.geofences, actor
            )
        except DomainError as error:
            return StorePayload(store=None, user_errors=user_errors(error))
        return StorePayload(store=Store.from_model(saved), user_errors=[])

    @strawberry.mutation(description="Admin: create or update a promotion.")
    async def upsert_promotion(self, info: Info, input: PromotionInput) -> PromotionPayload:
        actor = info.context.admin()
        push = info.context.runtime.push
        data = stores.PromotionInput(
            code=input.code,
            title=input.title,
            message=input.message,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            store_codes=input.store_codes,
            segment_code=input.segment_code,
            bonus_points=input.bonus_points or 0,
            reward_code=input.reward_code,
            cooldown_hours=24 if input.cooldown_hours is None else input.cooldown_hours,
            transitions=None if input.transitions is None else [t.value for t in input.transitions],
        )
        try:
            saved = await stores.upsert_promotion(
                data, info.context.now, push.segments, push.coupons, actor
            )
        except DomainError as error:
            return PromotionPayload(promotion=None, user_errors=user_errors(error))
        return PromotionPayload(promotion=Promotion.from_model(saved), user_errors=[])

    @strawberry.mutation(
        description="Admin: send a message to a segment (or everyone), now or later."
    )
    async def send_campaign(self, info: Info, input: CampaignInput) -> CampaignPayload:
        actor = info.context.admin()
        data = campaigns.CampaignInput(
            code=input.code,
            title=input.title,
            body=input.body,
            deep_link=input.deep_link,
            segment_code=input.segment_code,
            bonus_points=input.bonus_points or 0,
            send_at=input.send_at,
            texts=_texts(input.texts),
        )
        try:
            saved = await campaigns.send_campaign(
                data, info.context.now, info.context.runtime.push.segments, actor
            )
        except DomainError as error:
            return CampaignPayload(campaign=None, user_errors=user_errors(error))
        return CampaignPayload(campaign=Campaign.from_model(saved), user_errors=[])


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each notification for the signed-in member as it is created."
    )
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification, None]:
        member = await info.context.member()
        runtime = info.context.runtime
        channel = notification_channel(runtime.settings.redis_prefix, member.id)
        fanout = runtime.fanout if runtime.fanout is not None else ChannelFanout(runtime.redis)
        async with fanout.listen(channel) as messages:
            while True:
                message = await messages.get()
                try:
                    payload = json.loads(message)
                except (TypeError, ValueError):
                    log.warning("unreadable live notification for member %s", member.id)
                    continue
                yield Notification.from_payload(payload)
