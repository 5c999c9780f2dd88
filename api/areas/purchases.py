"""GraphQL of purchases and refunds, sent by the shop's backend with a service token."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.auth import Role
from api.context import Info
from api.types.common import Channel, UserError, user_errors
from api.types.member import KnownFields, Member
from api.types.points import PointsSummary
from api.types.purchase import (
    Awards,
    Purchase,
    PurchasePreview,
    PurchasePreviewPayload,
)
from api.types.tier import ladder_loader, tier_of
from domain.errors import DomainError
from domain.points.earning import LineItem
from domain.purchases import preview, services
from domain.purchases.models import Channel as ChannelModel
from domain.purchases.validation import PurchaseInput, RefundInput


@strawberry.input(description="One line of an order.")
class PurchaseItemInput:
    sku: str = strawberry.field(description="The shop's product id.")
    category: str | None = strawberry.field(
        default=None, description="The item's category; category multipliers apply to it."
    )
    quantity: int = strawberry.field(description="How many units, 1-10000.")
    unit_price: Decimal = strawberry.field(description="Price of one unit, 2 decimals at most.")


@strawberry.input(description="An order of the shop, to turn into points once.")
class RecordPurchaseInput:
    order_id: str = strawberry.field(
        description="The shop's order id: recording the same order twice awards nothing more; "
        "another customer, amount or currency under a recorded id is a DUPLICATE error."
    )
    customer_id: str = strawberry.field(
        description="The shop's customer id; a member is created on first sight."
    )
    amount: Decimal = strawberry.field(
        description="What the customer paid, above 0, 2 decimals at most."
    )
    currency: str = strawberry.field(description="ISO 4217 code: the program's currency.")
    channel: Channel = strawberry.field(description="App, web or store.")
    store_code: str | None = strawberry.field(default=None, description="The store, if any.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (default: now); not in the future."
    )
    items: list[PurchaseItemInput] | None = strawberry.field(
        default=None, description="The order's lines, at most 100."
    )

    def to_purchase(self) -> PurchaseInput:
        """The order as the domain takes it."""
        return PurchaseInput(
            order_id=self.order_id,
            customer_id=self.customer_id,
            amount=self.amount,
            currency=self.currency,
            channel=ChannelModel(self.channel.value),
            store_code=self.store_code,
            occurred_at=self.occurred_at,
            items=tuple(
                LineItem(
                    sku=i.sku, category=i.category, quantity=i.quantity, unit_price=i.unit_price
                )
                for i in self.items or ()
            ),
        )


@strawberry.type(description="The result of recordPurchase.")
class RecordPurchasePayload:
    purchase: Purchase | None = strawberry.field(description="The purchase; null on errors.")
    member: Member | None = strawberry.field(description="The member who purchased.")
    awards: Awards | None = strawberry.field(
        description="What the purchase unlocked (the first answer again on a retry)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded.")


@strawberry.input(description="A refund of (part of) an order.")
class RecordRefundInput:
    refund_id: str = strawberry.field(
        description="The shop's refund id: recording the same refund twice reverses nothing "
        "more; another order or amount under a recorded id is a DUPLICATE error."
    )
    order_id: str = strawberry.field(description="The refunded order.")
    amount: Decimal = strawberry.field(description="The refunded amount, at most what is left.")


@strawberry.type(description="The result of recordRefund.")
class RecordRefundPayload:
    purchase: Purchase | None = strawberry.field(description="The order after the refund.")
    points_reversed: int = strawberry.field(
        description="Points taken back by this refund (0 on errors)."
    )
    points_shortfall: int = strawberry.field(
        description="Points that could not be taken back because they were already spent."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was recorded.")


@strawberry.type
class Query:
    @strawberry.field(
        description="Shop backend: what recording this order would award now (the cart "
        "preview of a checkout), computed by the rules recordPurchase applies and written "
        "nowhere. Same input and userErrors as recordPurchase."
    )
    async def preview_purchase(
        self, info: Info, input: RecordPurchaseInput
    ) -> PurchasePreviewPayload:
        info.context.require(Role.SERVICE)
        runtime = info.context.runtime
        try:
            found = await preview.preview_purchase(
                input.to_purchase(),
                info.context.now,
                program_currency=runtime.settings.program_currency,
                observer=runtime.observer,
                program=runtime.program,
                versions=await info.context.versions(),
            )
        except DomainError as error:
            return PurchasePreviewPayload(preview=None, user_errors=user_errors(error))
        if found.plan is not None:
            ladder_loader(info).prime("ladder", list(found.plan.ladder))
        return PurchasePreviewPayload(preview=PurchasePreview(preview=found), user_errors=[])


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Shop backend: record an order and award its points, once per order id."
    )
    async def record_purchase(
        self, info: Info, input: RecordPurchaseInput
    ) -> RecordPurchasePayload:
        info.context.require(Role.SERVICE)
        purchase = input.to_purchase()
        runtime = info.context.runtime
        try:
            recorded = await services.record_purchase(
                purchase,
                info.context.now,
                program_currency=runtime.settings.program_currency,
                observer=runtime.observer,
                program=runtime.program,
            )
        except DomainError as error:
            return RecordPurchasePayload(
                purchase=None, member=None, awards=None, user_errors=user_errors(error)
            )
        # The payload shows the member's tier and points as the purchase left them: known
        # (the fields answer without a coroutine), unless a replay does not know them.
        member = Member.from_model(recorded.member)
        tier, points = None, None
        if recorded.ladder is not None:
            ladder_loader(info).prime("ladder", list(recorded.ladder))  # also the awards' tier
            tier = await tier_of(info, recorded.member)
        if recorded.points is not None:
            points = PointsSummary.from_figures(recorded.member.id, recorded.points)
        member.known = KnownFields(tier, has_next_tier=False, next_tier=None, points=points)
        return RecordPurchasePayload(
            purchase=Purchase.from_model(recorded.purchase),
            member=member,
            awards=Awards.from_awards(recorded.awards, recorded.member.id, recorded.member.locale),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Shop backend: record a refund and take back its points, once per refund id."
    )
    async def record_refund(self, info: Info, input: RecordRefundInput) -> RecordRefundPayload:
        info.context.require(Role.SERVICE)
        try:
            recorded = await services.record_refund(
                RefundInput(
                    refund_id=input.refund_id, order_id=input.order_id, amount=input.amount
                ),
                info.context.now,
            )
        except DomainError as error:
            return RecordRefundPayload(
                purchase=None, points_reversed=0, points_shortfall=0, user_errors=user_errors(error)
            )
        return RecordRefundPayload(
            purchase=Purchase.from_model(recorded.purchase),
            points_reversed=recorded.points_reversed,
            points_shortfall=recorded.refund.points_shortfall,
            user_errors=[],
        )
