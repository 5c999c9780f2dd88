"""The event types a shop can subscribe to, and what each one tells it.

Each type comes from one domain event. Its `data` holds what the shop needs to act on it
(the member's customer id, amounts, codes), nothing more personal: no names, emails or places.
Codes not in the domain event (a coupon's code) are read in one query per batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.achievements.events import BadgeEarned, ChallengeCompleted
from domain.drops.events import DropClaimed
from domain.drops.models import DropClaim
from domain.events import DomainEvent
from domain.members.events import MemberCreated
from domain.members.models import Member
from domain.points.events import PointsEarned, PointsExpired, PointsReversed
from domain.referrals.events import ReferralCompleted
from domain.rewards.events import CouponUsed, RewardRedeemed
from domain.rewards.models import Redemption
from domain.tiers.events import TierChanged

#: The keys of `data` that hold a customer id, and whose member they name ("subject": the
#: event's member, "related": a second member, a referral's referrer). Erasure nulls them.
PERSONAL_KEYS = {"customerId": "subject", "referrerCustomerId": "related"}


@dataclass(frozen=True)
class Outgoing:
    """One domain event as a webhook event's parts, before it has an id."""

    type: str
    member_id: int | None
    related_member_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Customer:
    customer_id: str
    joined_at: datetime


#: The batch's members still in the program (erased ones are absent: nothing about them leaves).
Customers = dict[int, Customer]
Describe = Callable[[Sequence[DomainEvent], Customers], Awaitable[list[Outgoing]]]


@dataclass(frozen=True)
class EventType:
    """A type of webhook event: its wire name, what it means and the domain event behind it."""

    name: str
    description: str
    kind: str
    describe: Describe
    members: Callable[[DomainEvent], tuple[int, ...]]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _subject(event: DomainEvent) -> tuple[int, ...]:
    return (int(event.member_id),)  # type: ignore[attr-defined]  # used for member events only


def _simple(type_name: str, data: Callable[[Any, Customer], dict[str, Any]]) -> Describe:
    """A type whose data comes from the event and its member alone."""

    async def describe(events: Sequence[DomainEvent], customers: Customers) -> list[Outgoing]:
        out = []
        for event in events:
            customer = customers.get(event.member_id)  # type: ignore[attr-defined]  # member events only
            if customer is None:
                continue
            out.append(
                Outgoing(
                    type_name,
                    event.member_id,  # type: ignore[attr-defined]  # member events only
                    None,
                    {"customerId": customer.customer_id, **data(event, customer)},
                )
            )
        return out

    return describe


async def _coupon_codes(events: Sequence[DomainEvent]) -> dict[int, str]:
    """The coupon code of each redemption the events name, in one query."""
    ids = [getattr(e, "redemption_id") for e in events]  # noqa: B009 (events of two types)
    return dict(await Redemption.filter(id__in=ids).values_list("id", "code"))


async def _reward_redeemed(events: Sequence[DomainEvent], customers: Customers) -> list[Outgoing]:
    codes = await _coupon_codes(events)
    out = []
    for event in events:
        assert isinstance(event, RewardRedeemed)
        customer = customers.get(event.member_id)
        if customer is None:
            continue
        data = {
            "customerId": customer.customer_id,
            "redemptionId": str(event.redemption_id),
            "rewardCode": event.reward_code,
            "points": event.points,
            "couponCode": codes.get(event.redemption_id),
            "expiresAt": _iso(event.expires_at),
        }
        out.append(Outgoing("reward.redeemed", event.member_id, None, data))
    return out


async def _coupon_used(events: Sequence[DomainEvent], customers: Customers) -> list[Outgoing]:
    codes = await _coupon_codes(events)
    out = []
    for event in events:
        assert isinstance(event, CouponUsed)
        customer = customers.get(event.member_id)
        if customer is None:
            continue
        data = {
            "customerId": customer.customer_id,
            "redemptionId": str(event.redemption_id),
            "couponCode": codes.get(event.redemption_id),
            "orderId": event.order_id,
        }
        out.append(Outgoing("coupon.used", event.member_id, None, data))
    return out


async def _drop_claimed(events: Sequence[DomainEvent], customers: Customers) -> list[Outgoing]:
    ids = [e.claim_id for e in events if isinstance(e, DropClaimed)]
    claims = {
        row["id"]: row
        for row in await DropClaim.filter(id__in=ids).values("id", "coupon_code", "drop__code")
    }
    out = []
    for event in events:
        assert isinstance(event, DropClaimed)
        customer = customers.get(event.member_id)
        claim = claims.get(event.claim_id)
        if customer is None or claim is None:
            continue
        data = {
            "customerId": customer.customer_id,
            "claimId": str(event.claim_id),
            "dropCode": claim["drop__code"],
            "status": event.status,
            "couponCode": claim["coupon_code"],
        }
        out.append(Outgoing("drop.claimed", event.member_id, None, data))
    return out


async def _referral_completed(
    events: Sequence[DomainEvent], customers: Customers
) -> list[Outgoing]:
    out = []
    for event in events:
        assert isinstance(event, ReferralCompleted)
        referee, referrer = customers.get(event.referee_id), customers.get(event.referrer_id)
        if referee is None or referrer is None:
            continue
        data = {
            "customerId": referee.customer_id,
            "referrerCustomerId": referrer.customer_id,
            "referralId": str(event.referral_id),
            "points": event.referee_points,
            "referrerPoints": event.referrer_points,
        }
        out.append(Outgoing("referral.completed", event.referee_id, event.referrer_id, data))
    return out


EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "member.created",
        "A customer joined the program (first seen through the app or a purchase).",
        MemberCreated.kind,
        _simple("member.created", lambda e, c: {"joinedAt": _iso(c.joined_at)}),
        _subject,
    ),
    EventType(
        "points.earned",
        "Points were credited: a purchase, a bonus, a referral, an engagement, an adjustment.",
        PointsEarned.kind,
        _simple(
            "points.earned",
            lambda e, c: {
                "entryId": str(e.entry_id),
                "points": e.points,
                "reason": e.entry_kind,
                "reference": e.reference,
                "availableAt": _iso(e.available_at),
            },
        ),
        _subject,
    ),
    EventType(
        "points.reversed",
        "Points were taken back (a refund); `shortfall` is what could not be taken back.",
        PointsReversed.kind,
        _simple(
            "points.reversed",
            lambda e, c: {
                "entryId": str(e.entry_id),
                "points": e.points,
                "shortfall": e.shortfall,
                "reference": e.reference,
            },
        ),
        _subject,
    ),
    EventType(
        "points.expired",
        "Points reached their expiry date unspent.",
        PointsExpired.kind,
        _simple("points.expired", lambda e, c: {"entryId": str(e.entry_id), "points": e.points}),
        _subject,
    ),
    EventType(
        "tier.changed",
        "The member moved to another tier (up on a credit, down at a review).",
        TierChanged.kind,
        _simple(
            "tier.changed",
            lambda e, c: {
                "previousTier": e.old_code,
                "previousLevel": e.old_level,
                "tier": e.new_code,
                "level": e.new_level,
                "upgrade": e.upgrade,
            },
        ),
        _subject,
    ),
    EventType(
        "badge.earned",
        "The member earned a badge.",
        BadgeEarned.kind,
        _simple(
            "badge.earned",
            lambda e, c: {"badgeCode": e.badge_code, "badgeName": e.badge_name, "points": e.points},
        ),
        _subject,
    ),
    EventType(
        "challenge.completed",
        "The member completed a challenge (in the period named by `period`).",
        ChallengeCompleted.kind,
        _simple(
            "challenge.completed",
            lambda e, c: {
                "challengeCode": e.challenge_code,
                "challengeTitle": e.challenge_title,
                "period": e.period_key,
                "points": e.points,
            },
        ),
        _subject,
    ),
    EventType(
        "reward.redeemed",
        "The member spent points on a reward; `couponCode` is what they show at checkout.",
        RewardRedeemed.kind,
        _reward_redeemed,
        _subject,
    ),
    EventType(
        "coupon.used",
        "A coupon was used for an order.",
        CouponUsed.kind,
        _coupon_used,
        _subject,
    ),
    EventType(
        "drop.claimed",
        "The member claimed a unit of a drop (RESERVED) or entered its raffle (ENTERED).",
        DropClaimed.kind,
        _drop_claimed,
        _subject,
    ),
    EventType(
        "referral.completed",
        "A referred customer's first purchase completed the referral: both were credited.",
        ReferralCompleted.kind,
        _referral_completed,
        lambda e: (e.referee_id, e.referrer_id),  # type: ignore[attr-defined]  # a ReferralCompleted
    ),
)

BY_NAME: dict[str, EventType] = {t.name: t for t in EVENT_TYPES}
BY_KIND: dict[str, EventType] = {t.kind: t for t in EVENT_TYPES}


async def customers_of(member_ids: set[int]) -> Customers:
    """The members among `member_ids` still in the program, in one query."""
    rows = await Member.filter(id__in=list(member_ids), customer_id__isnull=False).values_list(
        "id", "customer_id", "joined_at"
    )
    return {row[0]: Customer(row[1], row[2]) for row in rows}
