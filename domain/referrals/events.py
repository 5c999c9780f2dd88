"""Events of referrals and engagement."""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import DomainEvent


@dataclass(frozen=True)
class ReferralCompleted(DomainEvent):
    referral_id: int
    referrer_id: int
    referee_id: int
    referrer_points: int
    referee_points: int


@dataclass(frozen=True)
class EngagementRecorded(DomainEvent):
    member_id: int
    engagement_id: int
    #: SHARE, REVIEW or SURVEY (not `kind`: that is the event's own name, DomainEvent.kind).
    engagement_kind: str
    reference: str
    score: int | None
    points: int


@dataclass(frozen=True)
class ReferralCancelled(DomainEvent):
    """The referee's first order was refunded inside the return window: the pending referral
    credits were taken back (0 when the referral had not completed yet)."""

    referral_id: int
    referrer_id: int
    referee_id: int
    referrer_points_reversed: int
    referee_points_reversed: int
