"""The push area's sections of `exportMyData`: the member's notification feed (with how each
push went), their preferences and the store promotions they received. (Erasure is the
`MemberErased` handler wired in `push.wiring.push_handlers`.)
"""

from __future__ import annotations

from typing import Any

from domain.privacy.export import SectionProvider, jsonable
from push.notifications.models import Notification, NotificationPreferences
from push.stores.models import PromotionTrigger


def _rows(rows: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{names[k]: jsonable(v) for k, v in row.items()} for row in rows]


async def notifications_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "id": "id",
        "category": "category",
        "title": "title",
        "body": "body",
        "deep_link": "deepLink",
        "created_at": "createdAt",
        "read_at": "readAt",
        "push_status": "pushStatus",
        "sent_at": "sentAt",
        "data": "data",
    }
    query = Notification.filter(member_id=member_id).order_by("id")
    return _rows(await query.values(*names), names)


async def preferences_section(member_id: int) -> dict[str, Any] | None:
    names = {
        "push_enabled": "pushEnabled",
        "categories": "categories",
        "quiet_hours_start": "quietHoursStart",
        "quiet_hours_end": "quietHoursEnd",
        "max_pushes_per_day": "maxPushesPerDay",
        "updated_at": "updatedAt",
    }
    rows = await NotificationPreferences.filter(member_id=member_id).values(*names)
    return _rows(rows, names)[0] if rows else None


async def store_promotions_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "promotion__code": "promotionCode",
        "store__code": "storeCode",
        "transition": "transition",
        "triggered_at": "triggeredAt",
        "bonus_points": "bonusPoints",
        "coupon_code": "couponCode",
    }
    query = PromotionTrigger.filter(member_id=member_id).order_by("triggered_at", "id")
    return _rows(await query.values(*names), names)


def export_sections() -> dict[str, SectionProvider]:
    """The push area's sections of `exportMyData`, in document order."""
    return {
        "notifications": notifications_section,
        "notificationPreferences": preferences_section,
        "storePromotions": store_promotions_section,
    }
