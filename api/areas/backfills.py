"""GraphQL of back-fill runs: an admin starts a badge's back-fill, which runs as a task of the
API process (`gamification.achievements.backfill_runs`), and reads how far it is."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.auth import Role
from api.context import Info
from api.errors import to_client_error
from api.ids import id_value
from api.types.common import UserError, page_size, user_errors
from domain.achievements.models import BackfillRun as BackfillRunModel
from domain.errors import DomainError
from gamification.achievements import backfill_runs


@strawberry.enum(description="Where a back-fill run stands.")
class BackfillStatus(Enum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


@strawberry.type(
    description="A badge's back-fill over the recorded history, started from the console and "
    "run in the background batch after batch."
)
class BackfillRun:
    row: strawberry.Private[BackfillRunModel]

    @strawberry.field(description="The run's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="The badge back-filled.")
    def badge_code(self) -> str:
        return self.row.badge_code

    @strawberry.field(description="RUNNING, DONE or FAILED.")
    def status(self) -> BackfillStatus:
        return BackfillStatus(self.row.status)

    @strawberry.field(description="Members looked at so far.")
    def done(self) -> int:
        return self.row.done

    @strawberry.field(description="Members there are to look at.")
    def total(self) -> int:
        return self.row.total

    @strawberry.field(description="How far the run is, from 0 to 1 (1 once DONE).")
    def progress(self) -> float:
        return backfill_runs.progress(self.row)

    @strawberry.field(description="Members awarded the badge by this run so far.")
    def awarded(self) -> int:
        return self.row.awarded

    @strawberry.field(description="Why a FAILED run stopped; null otherwise.")
    def error(self) -> str | None:
        return self.row.error

    @strawberry.field(description="Who started it (the console account's email).")
    def started_by(self) -> str:
        return self.row.started_by

    @strawberry.field(description="When it started.")
    def started_at(self) -> datetime:
        return self.row.started_at

    @strawberry.field(description="When it ended; null while RUNNING.")
    def finished_at(self) -> datetime | None:
        return self.row.finished_at


@strawberry.input(description="A badge's back-fill to start.")
class StartBackfillInput:
    badge_code: str = strawberry.field(description="The badge to award over the history.")
    batch_size: int | None = strawberry.field(
        default=500, description="Members per transaction, 1-5,000."
    )


@strawberry.type(description="The result of startBackfill.")
class StartBackfillPayload:
    run: BackfillRun | None = strawberry.field(
        description="The run, RUNNING in the background; null on errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was started.")


@strawberry.type
class Query:
    @strawberry.field(description="Admin: a back-fill run by id; null when there is none.")
    async def backfill_run(self, info: Info, id: strawberry.ID) -> BackfillRun | None:
        info.context.require(Role.ADMIN)
        run_id = id_value(id)
        if run_id is None:
            return None
        row = await BackfillRunModel.get_or_none(id=run_id)
        return BackfillRun(row=row) if row is not None else None

    @strawberry.field(description="Admin: back-fill runs, newest first, of one badge or all.")
    async def backfill_runs(
        self, info: Info, badge_code: str | None = None, first: int | None = 20
    ) -> list[BackfillRun]:
        info.context.require(Role.ADMIN)
        try:
            size = page_size(first, ["first"])
        except DomainError as error:
            raise to_client_error(error) from error
        rows = BackfillRunModel.all()
        if badge_code is not None:
            rows = rows.filter(badge_code=badge_code)
        return [BackfillRun(row=row) for row in await rows.order_by("-id").limit(size)]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin: award a badge to every member whose recorded history meets its "
        "rule, as `fidelio rules backfill` does, in the background of this API process; poll "
        "`backfillRun(id)` for its progress. Audited as `badge.backfill`. A run left RUNNING "
        "by a process that stopped is resumed by the `resume-backfills` job."
    )
    async def start_backfill(self, info: Info, input: StartBackfillInput) -> StartBackfillPayload:
        actor = info.context.admin()
        runtime = info.context.runtime
        batch_size = 500 if input.batch_size is None else input.batch_size
        try:
            run = await backfill_runs.start_backfill(
                input.badge_code, batch_size, actor, info.context.now
            )
        except DomainError as error:
            return StartBackfillPayload(run=None, user_errors=user_errors(error))
        runtime.spawn(backfill_runs.run_backfill(run.id, runtime.clock.now), f"backfill-{run.id}")
        return StartBackfillPayload(run=BackfillRun(row=run), user_errors=[])
