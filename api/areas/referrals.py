"""GraphQL of referrals and engagement: applying a friend's code, shares, reviews, surveys."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.context import Info
from api.types.common import UserError, user_errors
from api.types.public_member import PublicMember, public_views
from api.types.purchase import Awards
from domain.errors import DomainError
from domain.referrals import engagement as engagement_service
from domain.referrals import services


@strawberry.input(description="A friend's referral code.")
class ApplyReferralCodeInput:
    code: str = strawberry.field(description="The code as typed (case and spaces do not matter).")


@strawberry.type(description="The result of applyReferralCode.")
class ApplyReferralCodePayload:
    referrer: PublicMember | None = strawberry.field(
        description="Who referred the member; null on errors. Both are rewarded when the "
        "member's first purchase is recorded and not refunded within the return window."
    )
    user_errors: list[UserError] = strawberry.field(
        description="SELF_REFERRAL, INVALID_CODE or NOT_ELIGIBLE (a code was already applied, "
        "or the member already purchased)."
    )


@strawberry.enum(description="A way of promoting the shop that earns points.")
class EngagementKind(Enum):
    SHARE = strawberry.enum_value("SHARE", description="Shared a product or link.")
    REVIEW = strawberry.enum_value("REVIEW", description="Reviewed a product.")
    SURVEY = strawberry.enum_value("SURVEY", description="Answered a survey.")


@strawberry.enum(description="What an engagement earned, and why.")
class EngagementOutcome(Enum):
    AWARDED = strawberry.enum_value("AWARDED", description="Its points were credited.")
    DAILY_CAP_REACHED = strawberry.enum_value(
        "DAILY_CAP_REACHED",
        description="Recorded, but the daily cap of awards of this kind was reached: no points.",
    )
    ALREADY_RECORDED = strawberry.enum_value(
        "ALREADY_RECORDED", description="This reference was recorded before: no points again."
    )
    NO_POINTS = strawberry.enum_value(
        "NO_POINTS", description="Recorded; the program gives no points for this kind."
    )


@strawberry.input(description="A share, review or survey answer of the signed-in member.")
class RecordEngagementInput:
    kind: EngagementKind = strawberry.field(description="Share, review or survey.")
    reference: str = strawberry.field(
        description="What was shared, reviewed or answered: a product, a link, a survey id. "
        "One award per reference."
    )
    score: int | None = strawberry.field(
        default=None,
        description="0-10, for surveys that ask how likely the member is to recommend the shop.",
    )


@strawberry.type(description="An engagement as recorded.")
class EngagementRecord:
    id: strawberry.ID = strawberry.field(description="The engagement's id.")
    kind: EngagementKind = strawberry.field(description="Share, review or survey.")
    reference: str = strawberry.field(description="What was shared, reviewed or answered.")
    score: int | None = strawberry.field(description="The survey's 0-10 score, if given.")
    recorded_at: datetime = strawberry.field(description="When it was first recorded.")
    points_awarded: int = strawberry.field(
        description="Points this call earned (0 beyond the daily cap or on a repeat)."
    )
    outcome: EngagementOutcome = strawberry.field(description="What it earned, and why.")


@strawberry.type(description="The result of recordEngagement.")
class RecordEngagementPayload:
    awards: Awards | None = strawberry.field(
        description="What the engagement unlocked: its points (0 beyond the daily cap or on a "
        "repeat, see engagement.outcome) and whatever the rules awarded; null on errors."
    )
    engagement: EngagementRecord | None = strawberry.field(
        description="The engagement and what it earned; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Apply a friend's referral code: once, before the first purchase."
    )
    async def apply_referral_code(
        self, info: Info, input: ApplyReferralCodeInput
    ) -> ApplyReferralCodePayload:
        member = await info.context.member()
        try:
            referrer = await services.apply_referral_code(member, input.code, info.context.now)
        except DomainError as error:
            return ApplyReferralCodePayload(referrer=None, user_errors=user_errors(error))
        [view] = await public_views(info, [referrer])
        return ApplyReferralCodePayload(referrer=view, user_errors=[])

    @strawberry.mutation(
        description="Record a share, review or survey answer; it earns points once per "
        "reference, within the daily cap of its kind."
    )
    async def record_engagement(
        self, info: Info, input: RecordEngagementInput
    ) -> RecordEngagementPayload:
        member = await info.context.member()
        try:
            result = await engagement_service.record_engagement(
                member,
                input.kind.value,
                input.reference,
                input.score,
                info.context.now,
                info.context.runtime.observer,
                info.context.runtime.program,
            )
        except DomainError as error:
            return RecordEngagementPayload(
                awards=None, engagement=None, user_errors=user_errors(error)
            )
        recorded = result.engagement
        return RecordEngagementPayload(
            awards=Awards.from_awards(result.awards, member.id, member.locale),
            engagement=EngagementRecord(
                id=strawberry.ID(str(recorded.id)),
                kind=EngagementKind(recorded.kind.value),
                reference=recorded.reference,
                score=recorded.score,
                recorded_at=recorded.occurred_at,
                points_awarded=result.points,
                outcome=EngagementOutcome(result.outcome.value),
            ),
            user_errors=[],
        )
