"""GraphQL of segments and the program's key figures (admin only)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.types.common import user_errors
from api.types.segments import ProgramKpis, Segment, SegmentInput, SegmentPayload
from domain.errors import DomainError
from domain.kpis.definitions import PROGRAM_KPIS
from domain.kpis.series import Bucket, program_kpi_series
from domain.kpis.services import program_kpis
from domain.segments import services


@strawberry.type
class Query:
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
