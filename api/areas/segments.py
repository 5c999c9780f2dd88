"""GraphQL of segments and the program's key figures (admin only)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.common import UserError, user_errors
from api.types.segments import (
    ProgramKpis,
    Segment,
    SegmentInput,
    SegmentPayload,
    SegmentRuleInput,
)
from domain.errors import DomainError
from domain.kpis.definitions import PROGRAM_KPIS
from domain.kpis.series import Bucket, program_kpi_series
from domain.kpis.services import program_kpis
from domain.segments import services


@strawberry.input(description="A segment's rule being edited, to count before saving.")
class SegmentSizeInput:
    rule: SegmentRuleInput = strawberry.field(description="The rule, as in SegmentInput.")


@strawberry.type(description="The result of segmentSize.")
class SegmentSizePayload:
    members: int | None = strawberry.field(
        description="Members the rule matches now (at most `cap`); null on errors."
    )
    capped: bool = strawberry.field(
        description="Whether counting stopped at the cap: the rule matches more members."
    )
    cap: int = strawberry.field(description="The most members a draft is counted up to.")
    user_errors: list[UserError] = strawberry.field(
        description="What is wrong with the rule, each on its field (input.rule...)."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Admin: how many members a rule being edited matches now, without saving "
        "it (one statement, counting up to `cap` members: 100,000). The rule's problems are "
        "userErrors, as upsertSegment reports them."
    )
    async def segment_size(self, info: Info, input: SegmentSizeInput) -> SegmentSizePayload:
        info.context.require(Role.ADMIN)
        cap = services.DRAFT_COUNT_CAP
        try:
            members, capped = await services.count_draft_rule(
                input.rule.to_rule(), info.context.now, cap
            )
        except DomainError as error:
            return SegmentSizePayload(
                members=None, capped=False, cap=cap, user_errors=user_errors(error)
            )
        return SegmentSizePayload(members=members, capped=capped, cap=cap, user_errors=[])

    @strawberry.field(description="Admin: segments and their current sizes, by code.")
    async def segments(self, info: Info) -> list[Segment]:
        info.context.require(Role.ADMIN)
        return [Segment.from_model(s) for s in await services.list_segments()]

    @strawberry.field(description="Admin: " + PROGRAM_KPIS)
    async def program_kpis(
        self,
        info: Info,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from", description="Start of the period (included), with a time zone."
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(description="End of the period (excluded), with a time zone."),
        ],
        segment_code: Annotated[
            str | None, strawberry.argument(description="Only the members in this segment now.")
        ] = None,
    ) -> ProgramKpis:
        info.context.require(Role.ADMIN)
        try:
            kpis = await program_kpis(from_, to, info.context.now, segment_code)
        except DomainError as error:
            raise to_client_error(error) from error
        return ProgramKpis.from_result(kpis)

    @strawberry.field(
        description="Admin: the key figures of each week or month of [from, to), oldest first. "
        "Each bucket's figures are exactly `programKpis` over the bucket's bounds (its `from` "
        "and `to`): weeks run seven days from `from`; months run from `from`'s day and time "
        "in the program's time zone to the same day and time of the next month; the last "
        "bucket ends at `to`. At most 120 buckets."
    )
    async def program_kpi_series(
        self,
        info: Info,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from", description="Start of the first bucket (included), with a time zone."
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(description="End of the last bucket (excluded), with a time zone."),
        ],
        bucket: Annotated[KpiBucket, strawberry.argument(description="Weeks or months.")],
        segment_code: Annotated[
            str | None, strawberry.argument(description="Only the members in this segment now.")
        ] = None,
    ) -> list[ProgramKpis]:
        info.context.require(Role.ADMIN)
        try:
            series = await program_kpi_series(
                from_,
                to,
                Bucket(bucket.value),
                info.context.now,
                info.context.runtime.settings.program_timezone,
                segment_code,
            )
        except DomainError as error:
            raise to_client_error(error) from error
        return [ProgramKpis.from_result(kpis) for kpis in series]


@strawberry.enum(description="The length of a bucket of a key-figure series.")
class KpiBucket(Enum):
    WEEK = strawberry.enum_value("WEEK", description="Seven days.")
    MONTH = strawberry.enum_value("MONTH", description="A calendar month.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: create a segment or replace its name and rule (by code); counts it."
    )
    async def upsert_segment(self, info: Info, input: SegmentInput) -> SegmentPayload:
        actor = info.context.admin()
        try:
            segment = await services.upsert_segment(
                input.code, input.name, input.rule.to_rule(), info.context.now, actor
            )
        except DomainError as error:
            return SegmentPayload(segment=None, user_errors=user_errors(error))
        return SegmentPayload(segment=Segment.from_model(segment), user_errors=[])
