"""GraphQL of members' data rights: export everything, or delete the account for good."""

from __future__ import annotations

import json

import strawberry

from api.auth import Role
from api.context import Info
from api.types.common import user_errors
from api.types.privacy import (
    DeleteMyAccountInput,
    DeleteMyAccountPayload,
    EraseMemberInput,
    EraseMemberPayload,
    ExportMemberDataPayload,
    ExportMyDataPayload,
)
from domain.errors import DomainError
from domain.privacy.erasure import delete_account_of, erase_member
from domain.privacy.export import export_member, export_member_data


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Everything stored about the signed-in member, as one JSON document."
    )
    async def export_my_data(self, info: Info) -> ExportMyDataPayload:
        member = await info.context.member()
        document = await export_member_data(
            member, info.context.runtime.export_sections, info.context.now
        )
        return ExportMyDataPayload(json=json.dumps(document, ensure_ascii=False), user_errors=[])

    @strawberry.mutation(
        description=(
            "Delete the signed-in member's account for good: the profile, devices, "
            "notifications and leaderboard entries go; the anonymised points and purchases "
            "stay for the shop's accounting. Signing in again later starts a new, empty member. "
            "An account already deleted (a retry) answers deleted: true again, changing nothing."
        )
    )
    async def delete_my_account(
        self, info: Info, input: DeleteMyAccountInput
    ) -> DeleteMyAccountPayload:
        # By the token's customer id, not `member()`: for an account already gone, that
        # would create a member on first sight only to erase it.
        principal = info.context.require(Role.MEMBER)
        try:
            await delete_account_of(principal.subject, input.confirm, info.context.now)
        except DomainError as error:
            return DeleteMyAccountPayload(deleted=False, user_errors=user_errors(error))
        return DeleteMyAccountPayload(deleted=True, user_errors=[])

    @strawberry.mutation(
        description="Admin: everything stored about a member, as exportMyData gives the "
        "member (for a request the member made to the shop). Audited as `member.export`. "
        "NOT_FOUND on customerId for no current member."
    )
    async def export_member_data(self, info: Info, customer_id: str) -> ExportMemberDataPayload:
        actor = info.context.admin()
        try:
            document = await export_member(
                customer_id, info.context.runtime.export_sections, info.context.now, actor
            )
        except DomainError as error:
            return ExportMemberDataPayload(json=None, user_errors=user_errors(error))
        return ExportMemberDataPayload(
            json=json.dumps(document, ensure_ascii=False), user_errors=[]
        )

    @strawberry.mutation(
        description="Admin: erase a member for good, as deleteMyAccount does (for a request "
        "the member made to the shop). Audited as `member.erase` under `erased-member-<id>`."
    )
    async def erase_member(self, info: Info, input: EraseMemberInput) -> EraseMemberPayload:
        actor = info.context.admin()
        try:
            await erase_member(input.customer_id, input.confirm, info.context.now, actor)
        except DomainError as error:
            return EraseMemberPayload(erased=False, user_errors=user_errors(error))
        return EraseMemberPayload(erased=True, user_errors=[])
