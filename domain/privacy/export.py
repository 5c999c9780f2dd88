"""Exporting everything stored about a member as one JSON document.

Each area contributes the section it owns through a `SectionProvider` (member id in, JSON-able
value out). The domain's own sections are in `DOMAIN_SECTIONS`; the app factory adds the other
layers' (notifications, preferences, progress, ...) to the mapping it passes in, so that the
domain never imports them. A section lists only the member's own rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from domain.achievements.models import ChallengeCompletion, MemberBadge, RuleProgress
from domain.audit import Actor, record_change
from domain.drops.queries import drop_claims_section
from domain.errors import NotFound
from domain.members.models import Device, Member
from domain.offers.services import recommendations_section
from domain.points.models import PointsEntry, PointsExpiryReminder
from domain.purchases.models import Purchase, Refund
from domain.referrals.models import Engagement, Referral
from domain.rewards.models import Redemption

EXPORT_FORMAT = "fidelio-member-export/1"

SectionProvider = Callable[[int], Awaitable[Any]]
"""The member's rows of one area, as JSON-able values (see `jsonable`)."""


def jsonable(value: Any) -> Any:
    """`value` with dates as ISO 8601, amounts as strings and enums as their names."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def _rows(rows: list[dict[str, Any]], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows of `values()` renamed to the export's camelCase names."""
    return [{names[k]: jsonable(v) for k, v in row.items()} for row in rows]


async def export_member_data(
    member: Member, sections: Mapping[str, SectionProvider], now: datetime
) -> dict[str, Any]:
    """Every section about `member`, in the order given, under a small header."""
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exportedAt": now.isoformat(),
        "memberId": member.id,
    }
    for name, provider in sections.items():
        document[name] = jsonable(await provider(member.id))
    return document


async def export_member(
    customer_id: str, sections: Mapping[str, SectionProvider], now: datetime, actor: Actor
) -> dict[str, Any]:
    """An admin exports a member's data (a request the member made to the shop): the same
    document as the member's own export. Audited as `member.export` (who read whose data),
    with nothing changed on either side. Raises `NotFound` on `["customerId"]` for a
    customer id no current member has."""
    wanted = customer_id.strip()
    member = (
        await Member.get_or_none(customer_id=wanted, erased_at__isnull=True) if wanted else None
    )
    if member is None:
        raise NotFound(f"no member '{wanted}'", ["customerId"])
    document = await export_member_data(member, sections, now)
    await record_change(actor, "member.export", "member", wanted, {}, {}, now)
    return document


async def profile_section(member_id: int) -> dict[str, Any]:
    names = {
        "id": "id",
        "customer_id": "customerId",
        "display_name": "displayName",
        "email": "email",
        "locale": "locale",
        "time_zone": "timeZone",
        "country": "country",
        "city": "city",
        "birth_date": "birthDate",
        "referral_code": "referralCode",
        "joined_at": "joinedAt",
        "tier_level": "tierLevel",
        "tier_code": "tierCode",
    }
    rows = await Member.filter(id=member_id).values(*names)
    return _rows(rows, names)[0] if rows else {}


async def devices_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "token": "token",
        "platform": "platform",
        "app_version": "appVersion",
        "created_at": "createdAt",
        "last_seen_at": "lastSeenAt",
    }
    return _rows(await Device.filter(member_id=member_id).order_by("id").values(*names), names)


async def points_ledger_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "id": "id",
        "kind": "kind",
        "delta": "delta",
        "remaining": "remaining",
        "shortfall": "shortfall",
        "description": "description",
        "reference": "reference",
        "created_at": "createdAt",
        "available_at": "availableAt",
        "expires_at": "expiresAt",
    }
    query = PointsEntry.filter(member_id=member_id).order_by("id")
    return _rows(await query.values(*names), names)


async def purchases_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "order_id": "orderId",
        "amount": "amount",
        "refunded_amount": "refundedAmount",
        "currency": "currency",
        "channel": "channel",
        "store_code": "storeCode",
        "occurred_at": "occurredAt",
        "recorded_at": "recordedAt",
        "points_earned": "pointsEarned",
        "categories": "categories",
        "items": "items",
    }
    query = Purchase.filter(member_id=member_id).order_by("occurred_at", "id")
    return _rows(await query.values(*names), names)


async def refunds_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "refund_id": "refundId",
        "purchase__order_id": "orderId",
        "amount": "amount",
        "points_reversed": "pointsReversed",
        "points_shortfall": "pointsShortfall",
        "created_at": "createdAt",
    }
    query = Refund.filter(purchase__member_id=member_id).order_by("created_at", "id")
    return _rows(await query.values(*names), names)


async def engagements_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "kind": "kind",
        "reference": "reference",
        "score": "score",
        "occurred_at": "occurredAt",
        "points_awarded": "pointsAwarded",
    }
    query = Engagement.filter(member_id=member_id).order_by("occurred_at", "id")
    return _rows(await query.values(*names), names)


async def badges_section(member_id: int) -> list[dict[str, Any]]:
    names = {"badge__code": "code", "badge__name": "name", "earned_at": "earnedAt"}
    query = MemberBadge.filter(member_id=member_id).order_by("earned_at", "id")
    return _rows(await query.values(*names), names)


async def redemptions_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "code": "couponCode",
        "reward__code": "rewardCode",
        "reward__name": "rewardName",
        "points_spent": "pointsSpent",
        "status": "status",
        "created_at": "createdAt",
        "expires_at": "expiresAt",
        "used_at": "usedAt",
        "used_order_id": "usedOrderId",
        "closed_at": "closedAt",
        "points_returned": "pointsReturned",
    }
    query = Redemption.filter(member_id=member_id).order_by("created_at", "id")
    return _rows(await query.values(*names), names)


async def referrals_section(member_id: int) -> dict[str, list[dict[str, Any]]]:
    """Referrals the member made and the one they received, without the other member's
    identity (their data is theirs)."""
    names = {
        "status": "status",
        "applied_at": "appliedAt",
        "completed_at": "completedAt",
        "cancelled_at": "cancelledAt",
        "referrer_points": "referrerPoints",
        "referee_points": "refereePoints",
        "referrer_capped": "referrerCapped",
    }
    made = Referral.filter(referrer_id=member_id).order_by("applied_at", "id")
    received = Referral.filter(referee_id=member_id).order_by("applied_at", "id")
    return {
        "made": _rows(await made.values(*names), names),
        "received": _rows(await received.values(*names), names),
    }


async def challenge_completions_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "challenge__code": "challengeCode",
        "challenge__title": "challengeTitle",
        "period_key": "period",
        "completed_at": "completedAt",
        "points": "points",
    }
    query = ChallengeCompletion.filter(member_id=member_id).order_by("completed_at", "id")
    return _rows(await query.values(*names), names)


async def progress_section(member_id: int) -> list[dict[str, Any]]:
    names = {
        "badge__code": "badgeCode",
        "challenge__code": "challengeCode",
        "period_key": "period",
        "current": "current",
        "completed_at": "completedAt",
        "updated_at": "updatedAt",
    }
    query = RuleProgress.filter(member_id=member_id).order_by("id")
    return _rows(await query.values(*names), names)


async def expiry_reminders_section(member_id: int) -> list[dict[str, Any]]:
    names = {"expires_at": "expiresAt", "points": "points", "sent_at": "sentAt"}
    query = PointsExpiryReminder.filter(member_id=member_id).order_by("expires_at")
    return _rows(await query.values(*names), names)


#: The sections the domain owns, in document order. The app factory extends this mapping with
#: the sections of the other layers and areas.
DOMAIN_SECTIONS: dict[str, SectionProvider] = {
    "profile": profile_section,
    "devices": devices_section,
    "pointsLedger": points_ledger_section,
    "purchases": purchases_section,
    "refunds": refunds_section,
    "engagements": engagements_section,
    "badges": badges_section,
    "challengeCompletions": challenge_completions_section,
    "progress": progress_section,
    "redemptions": redemptions_section,
    "referrals": referrals_section,
    "pointsExpiryReminders": expiry_reminders_section,
    "dropClaims": drop_claims_section,
    "recommendations": recommendations_section,
}
