"""Engagement rewards: points for sharing, reviewing and answering surveys.

One award per (member, kind, reference): recording the same share again is not an error, it
earns nothing and says so (`ALREADY_RECORDED`). At most `engagement_daily_cap` awards of a kind
per member per day in the member's time zone: beyond it the engagement is still recorded (it
counts for badges and the NPS figure) but earns no points (`DAILY_CAP_REACHED`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.activity import Activity, ActivityObserver, Awards
from domain.errors import InputErrors, InvalidInput
from domain.events import record_event
from domain.members.models import Member
from domain.members.validation import check_text
from domain.points import ledger
from domain.points.crediting import credit_earned
from domain.points.models import EarningRules, EntryKind
from domain.program import ProgramCache, program_now
from domain.referrals.events import EngagementRecorded
from domain.referrals.messages import ENGAGEMENT
from domain.referrals.models import Engagement, EngagementKind

REFERENCE_MAX = 200
SCORE_MIN, SCORE_MAX = 0, 10


class EngagementOutcome(StrEnum):
    #: Points were credited.
    AWARDED = "AWARDED"
    #: The member already had `engagement_daily_cap` awards of this kind today.
    DAILY_CAP_REACHED = "DAILY_CAP_REACHED"
    #: This (kind, reference) was recorded before: it earns nothing again.
    ALREADY_RECORDED = "ALREADY_RECORDED"
    #: The program gives no points for this kind (configured as 0).
    NO_POINTS = "NO_POINTS"


@dataclass(frozen=True)
class EngagementResult:
    engagement: Engagement
    outcome: EngagementOutcome
    #: Points the engagement itself earned (0 unless AWARDED).
    points: int
    #: Everything the action unlocked, engagement points included.
    awards: Awards = field(default_factory=Awards)


def points_for(kind: EngagementKind, rules: EarningRules) -> int:
    return {
        EngagementKind.SHARE: rules.share_points,
        EngagementKind.REVIEW: rules.review_points,
        EngagementKind.SURVEY: rules.survey_points,
    }[kind]


def local_date(moment: datetime, time_zone: str) -> date:
    """The member's calendar day at `moment` (UTC when the zone is unknown)."""
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).date()


def _validated(
    kind: str, reference: str, score: int | None, locale: str | None
) -> tuple[EngagementKind, str]:
    problems = InputErrors()
    engagement_kind: EngagementKind | None = None
    try:
        engagement_kind = EngagementKind(kind)
    except ValueError:
        problems.add(InvalidInput(ENGAGEMENT.text(locale, "kind"), ["input", "kind"]))
    text = problems.check(
        check_text, reference, ["input", "reference"], max_length=REFERENCE_MAX, min_length=1
    )
    if score is not None:
        if engagement_kind is not None and engagement_kind != EngagementKind.SURVEY:
            problems.add(
                InvalidInput(ENGAGEMENT.text(locale, "score_only_surveys"), ["input", "score"])
            )
        elif not SCORE_MIN <= score <= SCORE_MAX:
            message = ENGAGEMENT.text(locale, "score_range", min=SCORE_MIN, max=SCORE_MAX)
            problems.add(InvalidInput(message, ["input", "score"]))
    problems.raise_any()
    assert engagement_kind is not None and text is not None
    return engagement_kind, text


async def record_engagement(
    member: Member,
    kind: str,
    reference: str,
    score: int | None,
    now: datetime,
    observer: ActivityObserver,
    program: ProgramCache | None = None,
) -> EngagementResult:
    """Record a share, review or survey answer and award its points within the daily cap.

    A repeat of (kind, reference) returns the first engagement with outcome ALREADY_RECORDED
    and no points (it is not an error). Raises `ValidationErrors` of `InvalidInput` (kind,
    reference of 1-200 characters, a score only for surveys and within 0-10), in the member's
    language (the reference's, from `domain.members.validation`, in English as yet).
    """
    engagement_kind, text = _validated(kind, reference, score, member.locale)
    async with in_transaction():
        # The member's lock serialises their engagements, so the daily count is exact.
        locked = await ledger.lock_member(member.id)
        existing = await Engagement.get_or_none(
            member_id=member.id, kind=engagement_kind, reference=text
        )
        if existing is not None:
            return EngagementResult(existing, EngagementOutcome.ALREADY_RECORDED, 0)
        config = await program_now(program)
        rules = config.rules
        day = local_date(now, locked.time_zone)
        awarded_today = await Engagement.filter(
            member_id=member.id, kind=engagement_kind, local_date=day, points_awarded__gt=0
        ).count()
        points = points_for(engagement_kind, rules)
        if points <= 0:
            outcome, points = EngagementOutcome.NO_POINTS, 0
        elif awarded_today >= rules.engagement_daily_cap:
            outcome, points = EngagementOutcome.DAILY_CAP_REACHED, 0
        else:
            outcome = EngagementOutcome.AWARDED
        try:
            async with in_transaction():
                engagement = await Engagement.create(
                    member_id=member.id,
                    kind=engagement_kind,
                    reference=text,
                    score=score,
                    occurred_at=now,
                    local_date=day,
                    points_awarded=points,
                )
        except IntegrityError:
            existing = await Engagement.get(
                member_id=member.id, kind=engagement_kind, reference=text
            )
            return EngagementResult(existing, EngagementOutcome.ALREADY_RECORDED, 0)
        new_tier = None
        if points:
            credited = await credit_earned(
                member.id,
                points,
                EntryKind.ENGAGEMENT,
                _description(engagement_kind),
                now,
                config,
                reference=f"engagement:{engagement.id}",
                holder=locked,
            )
            new_tier = credited.new_tier
        await record_event(
            EngagementRecorded(
                member_id=member.id,
                engagement_id=engagement.id,
                engagement_kind=engagement_kind.value,
                reference=text,
                score=score,
                points=points,
            ),
            now,
        )
        unlocked = await observer.observe(
            Activity(
                member_id=member.id,
                kind=engagement_kind.value,
                occurred_at=now,
                reference=f"engagement:{engagement.id}",
                points=points,
            ),
            now,
        )
        earned = Awards(points_awarded=points, new_tier_code=new_tier.code if new_tier else None)
        return EngagementResult(engagement, outcome, points, earned.merge(unlocked))


def _description(kind: EngagementKind) -> str:
    return {
        EngagementKind.SHARE: "Thanks for sharing",
        EngagementKind.REVIEW: "Thanks for your review",
        EngagementKind.SURVEY: "Thanks for answering the survey",
    }[kind]
