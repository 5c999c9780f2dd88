"""GraphQL types of members' data rights."""

from __future__ import annotations

import strawberry

from api.types.common import UserError


@strawberry.type(description="The result of exportMyData.")
class ExportMyDataPayload:
    json: str | None = strawberry.field(
        description=(
            "Everything stored about the member, as one JSON document: a header (format, "
            "exportedAt, memberId) and one section per kind of data (profile, devices, "
            "pointsLedger, purchases, refunds, engagements, badges, and the sections of "
            "notifications, preferences, progress, claims, redemptions and referrals)."
        )
    )
    user_errors: list[UserError] = strawberry.field(description="Always empty today.")


@strawberry.input(description="Confirmation that the account is to be deleted for good.")
class DeleteMyAccountInput:
    confirm: bool = strawberry.field(
        description="Must be true; anything else deletes nothing (INVALID_INPUT on confirm)."
    )


@strawberry.type(description="The result of deleteMyAccount.")
class DeleteMyAccountPayload:
    deleted: bool = strawberry.field(description="Whether the account was deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="The result of exportMemberData.")
class ExportMemberDataPayload:
    json: str | None = strawberry.field(
        description="The member's data, the document exportMyData gives; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was exported.")


@strawberry.input(description="The member to erase, and the confirmation.")
class EraseMemberInput:
    customer_id: str = strawberry.field(description="The member, by the shop's customer id.")
    confirm: bool = strawberry.field(
        description="Must be true; anything else erases nothing (INVALID_INPUT on confirm)."
    )


@strawberry.type(description="The result of eraseMember.")
class EraseMemberPayload:
    erased: bool = strawberry.field(description="Whether the member was erased.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was erased.")
