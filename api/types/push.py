"""GraphQL types of the push area: notifications and preferences, stores and geofences,
promotions, campaigns."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField

from api.context import Info
from api.errors import to_client_error
from api.language import reader_language
from api.lookahead import per_document
from api.member_parts import UNREAD, member_parts
from api.types.common import PageInfo, decode_cursor, encode_cursor, page_info_of, page_size
from api.types.rewards import Reward
from domain.errors import DomainError
from domain.rewards import models as reward_models
from push.campaigns import models as campaign_models
from push.campaigns.services import DeliveryFigures, delivery_figures
from push.notifications import models as notification_models
from push.notifications.preferences import preferences_of
from push.notifications.rules import PushPreferences, format_hhmm
from push.notifications.services import notification_page, unread_count
from push.stores import models as store_models
from push.stores.services import NearbyGeofence
from push.stores.visits import TriggeredPromotion as TriggeredPromotionResult

NOTIFICATION_CURSOR = "notification"


@strawberry.enum(description="What a notification is about; pushes are opted in per category.")
class NotificationCategory(Enum):
    POINTS = "POINTS"
    BADGE = "BADGE"
    CHALLENGE = "CHALLENGE"
    TIER = "TIER"
    DROP = "DROP"
    PROMOTION = "PROMOTION"
    REFERRAL = "REFERRAL"
    REMINDER = "REMINDER"
    CAMPAIGN = "CAMPAIGN"


@strawberry.enum(description="Where the push of a notification stands.")
class PushStatus(Enum):
    PENDING = "PENDING"
    HELD = "HELD"
    SENDING = "SENDING"
    SENT = "SENT"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


@strawberry.type(description="An entry of the member's in-app feed (pushed too when allowed).")
class Notification:
    id: strawberry.ID = strawberry.field(description="The notification's id.")
    category: NotificationCategory = strawberry.field(description="What it is about.")
    title: str = strawberry.field(description="The title, in the member's language.")
    body: str = strawberry.field(description="The text, in the member's language.")
    deep_link: str | None = strawberry.field(
        description="An app link to open, e.g. app://drops/123."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    read_at: datetime | None = strawberry.field(description="When the member read it.")
    push_status: PushStatus = strawberry.field(
        description="Whether it was pushed: pending, held by quiet hours, sent, skipped "
        "(preferences, daily cap, no device) or failed."
    )

    @classmethod
    def from_model(cls, n: notification_models.Notification) -> Notification:
        return cls(
            id=strawberry.ID(str(n.id)),
            category=NotificationCategory(n.category.value),
            title=n.title,
            body=n.body,
            deep_link=n.deep_link,
            created_at=n.created_at,
            read_at=n.read_at,
            push_status=PushStatus(n.push_status.value),
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Notification:
        """From the JSON published on the member's live channel (push.live)."""
        return cls(
            id=strawberry.ID(payload["id"]),
            category=NotificationCategory(payload["category"]),
            title=payload["title"],
            body=payload["body"],
            deep_link=payload.get("deepLink"),
            created_at=datetime.fromisoformat(payload["createdAt"]),
            read_at=datetime.fromisoformat(payload["readAt"]) if payload.get("readAt") else None,
            push_status=PushStatus(payload.get("pushStatus", "PENDING")),
        )


@strawberry.type(description="A notification in a page of the feed.")
class NotificationEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read on from here.")
    node: Notification = strawberry.field(description="The notification.")


@strawberry.type(description="A page of the member's feed, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="The notifications.")
    page_info: PageInfo = strawberry.field(description="Whether more follow.")
    unread_count: int = strawberry.field(description="Notifications not read yet, in all.")


@strawberry.type(description="What the member lets us push, and when.")
class NotificationPreferences:
    push_enabled: bool = strawberry.field(description="Whether to push at all.")
    categories: list[NotificationCategory] = strawberry.field(
        description="Categories the member wants pushed; all others stay in the in-app feed only."
    )
    quiet_hours_start: str | None = strawberry.field(
        description="Local time in the member's time zone, HH:MM; no push between start and end."
    )
    quiet_hours_end: str | None = strawberry.field(
        description="Local HH:MM when held pushes go out; before the start: crosses midnight."
    )
    max_pushes_per_day: int = strawberry.field(
        description="Most pushes in one of the member's local days (0-50); more stay in the feed."
    )

    @classmethod
    def from_rules(cls, p: PushPreferences) -> NotificationPreferences:
        return cls(
            push_enabled=p.push_enabled,
            categories=[
                NotificationCategory(c.value)
                for c in notification_models.NotificationCategory
                if c in p.categories
            ],
            quiet_hours_start=format_hhmm(p.quiet_hours_start),
            quiet_hours_end=format_hhmm(p.quiet_hours_end),
            max_pushes_per_day=p.max_pushes_per_day,
        )


def _only_unread_count(info: Info) -> bool:
    """Whether the connection was asked for its `unreadCount` (and `__typename`) only."""
    return per_document(info, "only_unread_count", lambda: _asks_only_unread_count(info))


def _asks_only_unread_count(info: Info) -> bool:
    for selected in info.selected_fields:
        for part in selected.selections:
            if not isinstance(part, SelectedField):
                return False
            if part.name not in ("unreadCount", "__typename"):
                return False
    return True


async def resolve_member_notifications(
    root: Any,
    info: Info,
    first: int | None = 20,
    after: str | None = None,
    unread_only: bool | None = False,
) -> NotificationConnection:
    try:
        size = page_size(first, ["first"])
        after_id = decode_cursor(NOTIFICATION_CURSOR, after, ["after"])
        if _only_unread_count(info):
            # The home screen's badge: the count alone, no page read (read with the member's
            # other parts when `me` asked for them: api.member_parts).
            if UNREAD in root.parts:
                count = (await member_parts(info, root.model.id, root.parts)).unread
                assert count is not None
            else:
                count = await unread_count(root.model.id)
            return NotificationConnection(
                edges=[],
                page_info=PageInfo(has_next_page=False, end_cursor=None),
                unread_count=count,
            )
        page = await notification_page(root.model.id, size, after_id, bool(unread_only))
    except DomainError as error:
        raise to_client_error(error) from error
    edges = [
        NotificationEdge(
            cursor=encode_cursor(NOTIFICATION_CURSOR, n.id), node=Notification.from_model(n)
        )
        for n in page.items
    ]
    return NotificationConnection(
        edges=edges,
        page_info=page_info_of(edges, page.has_next_page),
        unread_count=page.unread_count,
    )


async def resolve_member_notification_preferences(root: Any, info: Info) -> NotificationPreferences:
    return NotificationPreferences.from_rules(await preferences_of(root.model.id))


# ---------------------------------------------------------------- stores and geofences


@strawberry.type(description="A physical store of the shop.")
class Store:
    id: strawberry.ID = strawberry.field(description="The store's id.")
    code: str = strawberry.field(description="The shop's code for the store.")
    name: str = strawberry.field(description="Its name.")
    address: str | None = strawberry.field(description="Its postal address.")
    latitude: float = strawberry.field(description="Degrees north (WGS 84).")
    longitude: float = strawberry.field(description="Degrees east (WGS 84).")
    geofence_radius_meters: float = strawberry.field(
        description="The radius of the store's geofence (50 m to 50 km)."
    )

    @classmethod
    def from_model(cls, s: store_models.Store) -> Store:
        return cls(
            id=strawberry.ID(str(s.id)),
            code=s.code,
            name=s.name,
            address=s.address,
            latitude=s.latitude,
            longitude=s.longitude,
            geofence_radius_meters=s.geofence_radius_m,
        )


@strawberry.type(description="A circle around a store, for the app to monitor on the device.")
class Geofence:
    id: strawberry.ID = strawberry.field(description="Report transitions with this id.")
    store: Store = strawberry.field(description="The store it surrounds.")
    latitude: float = strawberry.field(description="Centre, degrees north.")
    longitude: float = strawberry.field(description="Centre, degrees east.")
    radius_meters: float = strawberry.field(description="Radius in metres.")
    distance_meters: float = strawberry.field(
        description="Distance from the point asked about to the centre, in metres."
    )

    @classmethod
    def from_nearby(cls, g: NearbyGeofence) -> Geofence:
        return cls(
            id=strawberry.ID(str(g.store.id)),
            store=Store.from_model(g.store),
            latitude=g.store.latitude,
            longitude=g.store.longitude,
            radius_meters=g.store.geofence_radius_m,
            distance_meters=round(g.distance_m, 1),
        )


@strawberry.enum(description="How the device crossed a geofence.")
class GeofenceTransition(Enum):
    ENTER = "ENTER"
    DWELL = "DWELL"
    EXIT = "EXIT"


def rewards_by_code_loader() -> DataLoader[str, reward_models.Reward | None]:
    async def load(codes: list[str]) -> list[reward_models.Reward | None]:
        found = {r.code: r for r in await reward_models.Reward.filter(code__in=list(codes))}
        return [found.get(code) for code in codes]

    return DataLoader(load_fn=load)


@strawberry.type(description="Something members get for coming by a store.")
class Promotion:
    id: strawberry.ID = strawberry.field(description="The promotion's id.")
    code: str = strawberry.field(description="The admin's code for it.")
    title: str = strawberry.field(description="The push title.")
    message: str = strawberry.field(description="The push text.")
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends (excluded).")
    bonus_points: int = strawberry.field(description="Points given each time it fires.")
    reward_code: str | None = strawberry.field(description="The reward handed out as a coupon.")
    store_codes: list[str] = strawberry.field(description="Its stores; empty: every store.")
    segment_code: str | None = strawberry.field(description="Only for this segment's members.")
    cooldown_hours: int = strawberry.field(description="At most once per member in this time.")
    transitions: list[GeofenceTransition] = strawberry.field(
        description="The transitions that fire it."
    )

    @strawberry.field(description="The reward handed out as a coupon, if any.")
    async def reward(self, info: Info) -> Reward | None:
        if self.reward_code is None:
            return None
        found = await info.context.loader("push.rewardsByCode", rewards_by_code_loader).load(
            self.reward_code
        )
        if found is None:
            return None
        return Reward.from_model(found, await reader_language(info))

    @classmethod
    def from_model(cls, p: store_models.Promotion) -> Promotion:
        return cls(
            id=strawberry.ID(str(p.id)),
            code=p.code,
            title=p.title,
            message=p.message,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            bonus_points=p.bonus_points,
            reward_code=p.reward_code,
            store_codes=list(p.store_codes),
            segment_code=p.segment_code,
            cooldown_hours=p.cooldown_hours,
            transitions=[GeofenceTransition(t) for t in p.transitions],
        )


@strawberry.type(description="A promotion that fired for the member.")
class TriggeredPromotion:
    promotion: Promotion = strawberry.field(description="The promotion.")
    store: Store = strawberry.field(description="The store it fired at.")
    coupon_code: str | None = strawberry.field(
        description="Set when the promotion hands out a coupon."
    )
    pushed: bool = strawberry.field(
        description="Whether a push was sent (quiet hours, caps, preferences or having no "
        "device registered may hold it back)."
    )

    @classmethod
    def from_result(cls, t: TriggeredPromotionResult) -> TriggeredPromotion:
        return cls(
            promotion=Promotion.from_model(t.promotion),
            store=Store.from_model(t.store),
            coupon_code=t.coupon_code,
            pushed=t.pushed,
        )


# ---------------------------------------------------------------- campaigns


@strawberry.enum(description="Where a campaign stands.")
class CampaignStatus(Enum):
    SCHEDULED = "SCHEDULED"
    SENDING = "SENDING"
    SENT = "SENT"


@strawberry.enum(description="Who wrote a campaign.")
class CampaignSource(Enum):
    ADMIN = strawberry.enum_value("ADMIN", description="An admin, with sendCampaign.")
    DROP = strawberry.enum_value(
        "DROP", description="The program, announcing a drop that opened (texts per language)."
    )


@strawberry.type(description="A campaign's title and body in one locale.")
class CampaignText:
    locale: str = strawberry.field(description="The locale, e.g. 'es' or 'es-MX'.")
    title: str = strawberry.field(description="The title, placeholders unfilled.")
    body: str = strawberry.field(description="The text, placeholders unfilled.")


@strawberry.type(description="What became of a campaign's notifications so far.")
class CampaignDelivery:
    recipients: int = strawberry.field(
        description="Members who got the notification in their feed (the campaign's count)."
    )
    delivered: int = strawberry.field(description="Pushes a device accepted.")
    failed: int = strawberry.field(description="Pushes that failed for good.")
    skipped: int = strawberry.field(
        description="Not pushed by the member's choice (push off, category off, daily cap), "
        "or for want of a device: in the feed only."
    )
    pending: int = strawberry.field(
        description="Pushes still to go (due, held for quiet hours or being sent)."
    )
    opened: int = strawberry.field(description="Notifications the member read in the app.")


async def _delivery_loader(keys: list[campaign_models.Campaign]) -> list[DeliveryFigures]:
    found = await delivery_figures(keys)
    return [found.get(c.id, DeliveryFigures()) for c in keys]


@strawberry.type(description="A message from the shop to a segment (or everyone).")
class Campaign:
    id: strawberry.ID = strawberry.field(description="The campaign's id.")
    code: str = strawberry.field(description="The admin's code for it.")
    status: CampaignStatus = strawberry.field(description="Scheduled, sending or sent.")
    recipients: int = strawberry.field(description="Members who got it so far.")
    send_at: datetime = strawberry.field(description="When it goes (went) out.")
    title: str = strawberry.field(description="The title.")
    body: str = strawberry.field(description="The text.")
    segment_code: str | None = strawberry.field(description="Its segment; null: everyone.")
    bonus_points: int = strawberry.field(description="Points each recipient gets.")
    source: CampaignSource = strawberry.field(description="Who wrote it.")
    texts: list[CampaignText] = strawberry.field(
        description="The title and body in other locales than the base's, by locale. A "
        "member reads the text of their locale, else of its language, else of the program's "
        "default locale, else the base title and body."
    )
    deep_link: str | None = strawberry.field(description="The app link it opens.")
    created_at: datetime = strawberry.field(description="When it was written.")
    started_at: datetime | None = strawberry.field(description="When its fan-out began.")
    finished_at: datetime | None = strawberry.field(description="When its fan-out ended.")
    model: strawberry.Private[campaign_models.Campaign]

    @strawberry.field(
        description="Admin: what became of its notifications so far (one statement for a "
        "page of campaigns)."
    )
    async def delivery(self, info: Info) -> CampaignDelivery:
        loader = info.context.loader(
            "campaign_delivery", lambda: DataLoader(_delivery_loader, cache_key_fn=lambda c: c.id)
        )
        figures = await loader.load(self.model)
        return CampaignDelivery(
            recipients=self.recipients,
            delivered=figures.delivered,
            failed=figures.failed,
            skipped=figures.skipped,
            pending=figures.pending,
            opened=figures.opened,
        )

    @classmethod
    def from_model(cls, c: campaign_models.Campaign) -> Campaign:
        return cls(
            id=strawberry.ID(str(c.id)),
            code=c.code,
            status=CampaignStatus(c.status.value),
            recipients=c.recipients,
            send_at=c.send_at,
            title=c.title,
            body=c.body,
            segment_code=c.segment_code,
            bonus_points=c.bonus_points,
            source=CampaignSource(c.source.value),
            texts=[
                CampaignText(locale=locale, title=t["title"], body=t["body"])
                for locale, t in sorted((c.texts or {}).items())
            ],
            deep_link=c.deep_link,
            created_at=c.created_at,
            started_at=c.started_at,
            finished_at=c.finished_at,
            model=c,
        )


@strawberry.type(description="A page of campaigns, newest first.")
class CampaignConnection:
    nodes: list[Campaign] = strawberry.field(description="The campaigns of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type(description="A draft campaign's text as one member would read it.")
class CampaignPreview:
    customer_id: str = strawberry.field(description="The member's customer id.")
    member_locale: str = strawberry.field(description="The member's locale.")
    text_locale: str | None = strawberry.field(
        description="The locale of the text the member reads; null: the base text."
    )
    title: str = strawberry.field(description="The title, placeholders filled.")
    body: str = strawberry.field(description="The text, placeholders filled.")


@strawberry.type(description="A placeholder campaigns' texts may use, in braces.")
class CampaignPlaceholder:
    name: str = strawberry.field(description="Its name, written {name} in a text.")
    description: str = strawberry.field(description="What it is filled with.")


@strawberry.type(description="A notification whose push failed for good (admins).")
class FailedPush:
    notification: Notification = strawberry.field(
        description="The notification (still in the feed)."
    )
    customer_id: str | None = strawberry.field(description="The member's customer id.")
    attempts: int = strawberry.field(description="Send attempts made to a device.")
    last_error: str | None = strawberry.field(description="What the push service said last.")
