"""GraphQL of members' data rights: export everything, or delete the account for good."""

from __future__ import annotations

import json

import strawberry

from api.context import Info
from api.types.common import user_errors
from api.types.privacy import DeleteMyAccountInput, DeleteMyAccountPayload, ExportMyDataPayload
from domain.errors import DomainError
from domain.privacy.erasure import delete_my_account
from domain.privacy.export import export_member_data


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
            "stay for the shop's accounting. Signing in again later starts a new, empty member."
        )
    )
    async def delete_my_account(
        self, info: Info, input: DeleteMyAccountInput
    ) -> DeleteMyAccountPayload:
        member = await info.context.member()
        try:
            await delete_my_account(member, input.confirm, info.context.now)
        except DomainError as error:
            return DeleteMyAccountPayload(deleted=False, user_errors=user_errors(error))
        return DeleteMyAccountPayload(deleted=True, user_errors=[])
