"""GraphQL of exclusive drops: browse, claim or enter, define, draw, complete in the shop."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry

from api.auth import Role
from api.context import Info
from api.ids import parse_id
from api.language import reader_language
from api.ratelimit import Limit
from api.types.common import UserError, user_errors
from api.types.drops import (
    Drop,
    DropClaim,
    DropMode,
    DropStatus,
    drops_loader,
    for_member,
    listed_drops,
)
from api.types.public_member import PublicMember, public_views
from api.types.translations import TranslationInput, drafts
from domain.drops import services
from domain.drops.models import DropMode as DropModeModel
from domain.errors import DomainError


@strawberry.input(description="Claim a unit of a first-come drop, or enter a raffle.")
class ClaimDropInput:
    drop_id: strawberry.ID = strawberry.field(description="The drop's id.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first claim (1-64 characters; a "
        "key is the drop's own: the same key on another drop claims that drop).",
    )


@strawberry.type(description="The result of claimDrop.")
class ClaimDropPayload:
    claim: DropClaim | None = strawberry.field(
        description="The reservation (with its coupon) or the raffle entry; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(
        description="NOT_OPEN, CLOSED, OUT_OF_STOCK, NOT_ELIGIBLE, ALREADY_CLAIMED, "
        "INSUFFICIENT_POINTS, RATE_LIMITED, ...: nothing was claimed or charged."
    )


@strawberry.input(description="A drop, created or replaced by its code.")
class DropInput:
    code: str = strawberry.field(description="The admin's key: 1-64 letters, digits, . _ -")
    title: str = strawberry.field(description="What is offered (1-120 characters).")
    description: str = strawberry.field(description="The story of the product.")
    image_url: str | None = strawberry.field(default=None, description="An http(s) picture URL.")
    mode: DropMode | None = strawberry.field(
        default=DropMode.FIRST_COME, description="First come (default) or raffle."
    )
    opens_at: datetime = strawberry.field(description="When it opens for everyone eligible.")
    closes_at: datetime = strawberry.field(description="When it closes (after opensAt).")
    quantity: int = strawberry.field(
        description="Units offered: at least 1 and not below the units already claimed."
    )
    price_points: int | None = strawberry.field(default=0, description="Points per unit (0: free).")
    per_member_limit: int | None = strawberry.field(
        default=1, description="Most units one member may hold (1 for raffles)."
    )
    min_tier_level: int | None = strawberry.field(
        default=0, description="Lowest tier level that may claim."
    )
    required_badge_code: str | None = strawberry.field(
        default=None, description="Only holders of this badge may claim."
    )
    segment_code: str | None = strawberry.field(
        default=None, description="Only members of this segment may claim."
    )
    early_access_tier_level: int | None = strawberry.field(
        default=None,
        description="Members at or above this tier level may claim earlyAccessMinutes before opensAt.",
    )
    early_access_minutes: int | None = strawberry.field(
        default=0, description="How much earlier the early tiers may claim."
    )
    announce: bool | None = strawberry.field(
        default=True, description="Push the eligible members when the drop opens for them."
    )
    translations: list[TranslationInput] | None = strawberry.field(
        default=None,
        description="Its title (as name) and description per locale, served to members in "
        "theirs. Null keeps those entered before; [] removes them all.",
    )


@strawberry.type(description="The result of upsertDrop.")
class DropPayload:
    drop: Drop | None = strawberry.field(description="The drop as saved; null on errors.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was saved.")


@strawberry.input(description="Draw the winners of a closed raffle.")
class DrawRaffleInput:
    drop_code: str = strawberry.field(description="The raffle's code.")
    seed: str | None = strawberry.field(
        default=None,
        description="Recorded with the draw so that anyone can repeat it (a fresh one if none).",
    )


@strawberry.type(description="The result of drawRaffle (the same winners on every call).")
class DrawRafflePayload:
    winners: list[PublicMember] = strawberry.field(description="The winners, in drawing order.")
    seed: str | None = strawberry.field(description="The seed the draw was made with.")
    user_errors: list[UserError] = strawberry.field(description="Why there was no draw.")


@strawberry.input(description="The shop completes a drop purchase with the claim's coupon.")
class CompleteDropClaimInput:
    code: str = strawberry.field(description="The coupon code (DR-...).")
    order_id: str = strawberry.field(description="The shop's order that used it.")


@strawberry.type(description="The result of completeDropClaim.")
class CompleteDropClaimPayload:
    claim: DropClaim | None = strawberry.field(description="The completed claim; null on errors.")
    user_errors: list[UserError] = strawberry.field(
        description="INVALID_CODE (unknown or used for another order), EXPIRED (lapsed)."
    )


def _drop_id(raw: str) -> int:
    return parse_id(raw, ["input", "dropId"], "drop")


@strawberry.type
class Query:
    @strawberry.field(
        description="Drops by status as the signed-in member sees them (early access opens "
        "them sooner); without a status, those not closed and those closed in the last 30 days."
    )
    async def drops(self, info: Info, status: DropStatus | None = None) -> list[Drop]:
        found = await listed_drops(info, services.DropStatus(status.value) if status else None)
        language = await reader_language(info)
        known = await for_member(info, found) or {}
        return [Drop.from_model(d, language, known.get(d.id)) for d in found]

    @strawberry.field(
        description="Shop backend or admin: the drop claim behind a coupon code (DR-...)."
    )
    async def drop_coupon(self, info: Info, code: str) -> DropClaim | None:
        info.context.require(Role.SERVICE, Role.ADMIN)
        claim = await services.find_drop_claim_by_code(code)
        return DropClaim.from_model(claim) if claim else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Claim a unit of a first-come drop (debits the price, returns a coupon to "
        "complete the purchase in the shop) or enter a raffle (charged only if drawn)."
    )
    async def claim_drop(self, info: Info, input: ClaimDropInput) -> ClaimDropPayload:
        principal = info.context.require(Role.MEMBER)
        settings = info.context.runtime.settings
        # Counted before any database work; for a claim that reaches the drop's admission
        # gate, in the gate's own script (a claim of the storm costs one Redis round trip,
        # and a hammering member is refused before being looked up).
        attempts = info.context.runtime.rate_limiter.attempts(
            "claimDrop",
            principal.subject,
            Limit(settings.drop_claim_rate_limit, settings.drop_claim_rate_window_seconds),
            now=info.context.now.timestamp(),
        )
        try:
            try:
                drop_id = _drop_id(input.drop_id)
            except DomainError:
                if attempts is not None:  # a malformed id is an attempt all the same
                    await attempts.count()
                raise
            result = await services.claim_drop(
                services.SignedInMember(principal.subject, info.context.member),
                drop_id,
                info.context.now,
                idempotency_key=input.idempotency_key,
                observer=info.context.runtime.observer,
                reservation=timedelta(minutes=settings.drop_reservation_minutes),
                admission=info.context.runtime.drop_admission,
                attempts=attempts,
            )
        except DomainError as error:
            return ClaimDropPayload(claim=None, user_errors=user_errors(error))
        info.context.loader("drops_by_id", drops_loader).prime(result.drop.id, result.drop)
        return ClaimDropPayload(claim=DropClaim.from_model(result.claim), user_errors=[])

    @strawberry.mutation(description="Admin: create or change a drop, keyed by its code.")
    async def upsert_drop(self, info: Info, input: DropInput) -> DropPayload:
        actor = info.context.admin()
        data = services.DropInput(
            code=input.code,
            title=input.title,
            description=input.description,
            image_url=input.image_url,
            mode=DropModeModel((input.mode or DropMode.FIRST_COME).value),
            opens_at=input.opens_at,
            closes_at=input.closes_at,
            quantity=input.quantity,
            price_points=0 if input.price_points is None else input.price_points,
            per_member_limit=1 if input.per_member_limit is None else input.per_member_limit,
            min_tier_level=input.min_tier_level or 0,
            required_badge_code=input.required_badge_code,
            segment_code=input.segment_code,
            early_access_tier_level=input.early_access_tier_level,
            early_access_minutes=input.early_access_minutes or 0,
            announce=True if input.announce is None else input.announce,
            translations=drafts(input.translations),
        )
        try:
            drop = await services.upsert_drop(data, info.context.now, actor)
        except DomainError as error:
            return DropPayload(drop=None, user_errors=user_errors(error))
        if info.context.runtime.drop_admission is not None:
            # This process sees its own change at once; the others within the terms' max age.
            info.context.runtime.drop_admission.forget(drop.id)
        return DropPayload(drop=Drop.from_model(drop, await reader_language(info)), user_errors=[])

    @strawberry.mutation(
        description="Admin: draw a closed raffle's winners from a seed; drawing again changes "
        "nothing and returns the same winners."
    )
    async def draw_raffle(self, info: Info, input: DrawRaffleInput) -> DrawRafflePayload:
        actor = info.context.admin()
        try:
            result = await services.draw_raffle(
                input.drop_code, input.seed, info.context.now, actor
            )
        except DomainError as error:
            return DrawRafflePayload(winners=[], seed=None, user_errors=user_errors(error))
        return DrawRafflePayload(
            winners=await public_views(info, result.winners),
            seed=result.seed,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Shop backend: complete a reserved or won unit with its coupon for an order, "
        "once (the same order again returns it unchanged)."
    )
    async def complete_drop_claim(
        self, info: Info, input: CompleteDropClaimInput
    ) -> CompleteDropClaimPayload:
        info.context.require(Role.SERVICE)
        try:
            claim = await services.complete_drop_claim(input.code, input.order_id, info.context.now)
        except DomainError as error:
            return CompleteDropClaimPayload(claim=None, user_errors=user_errors(error))
        return CompleteDropClaimPayload(claim=DropClaim.from_model(claim), user_errors=[])
