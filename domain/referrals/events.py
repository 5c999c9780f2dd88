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
