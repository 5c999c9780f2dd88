"""Back-fill runs started from the console: admin only and audited, run in the background of
the API process with their progress in the table, resumed by `resume-backfills` after a
process stopped mid-run, without awarding anyone twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.achievements.models import BackfillRun, MemberBadge
from domain.audit import Actor, AuditEntry
from domain.points.models import PointsEntry
from gamification.achievements import backfill_runs
from tests.api.backfill_support import (
    QUALIFYING,
    RUN,
    START,
    TWO_APP,
    finished_run,
    make_badge,
    record_history,
)
from tests.api.conftest import GraphQLClient, data, error_codes
from tests.api.console_support import ADMIN, ANALYST, console_post, make_accounts, signed_in

RUNS = "query($code: String) { backfillRuns(badgeCode: $code) { id status progress } }"


async def holders() -> list[str]:
    rows = await MemberBadge.filter(badge__code="two-app").values_list(
        "member__customer_id", flat=True
    )
    return sorted(rows)


async def test_an_admin_starts_a_backfill_that_runs_to_the_end_in_the_background(
    api: GraphQLClient,
) -> None:
    await record_history(api)
    await make_badge(api, "two-app", TWO_APP)
    await make_accounts(api)
    csrf = await signed_in(api, ADMIN)
    started = await console_post(
        api, START, {"input": {"badgeCode": "two-app", "batchSize": 2}}, csrf=csrf
    )
    payload = started.json()["data"]["startBackfill"]
    assert payload["userErrors"] == []
    assert payload["run"]["status"] == "RUNNING" and payload["run"]["total"] == 5
    assert payload["run"]["startedBy"] == ADMIN
    run = await finished_run(api, payload["run"]["id"])
    assert run["status"] == "DONE" and run["progress"] == 1.0
    assert (run["done"], run["total"], run["awarded"]) == (5, 5, 2)
    assert run["finishedAt"] is not None and run["error"] is None
    assert await holders() == sorted(QUALIFYING)
    entry = await AuditEntry.get(action="badge.backfill")
    assert (entry.actor, entry.target_kind, entry.target_id) == (ADMIN, "badge", "two-app")
    assert entry.after == {"run": int(run["id"]), "batch_size": 2, "members": 5}
    listed = data(await api.admin(RUNS, {"code": "two-app"}))["backfillRuns"]
    assert listed == [{"id": run["id"], "status": "DONE", "progress": 1.0}]

    # Again: everyone qualifying holds it already, nothing more is awarded.
    again = data(await api.admin(START, {"input": {"badgeCode": "two-app"}}))["startBackfill"]
    assert (await finished_run(api, again["run"]["id"]))["awarded"] == 0
    assert await holders() == sorted(QUALIFYING)


async def test_bad_input_is_a_field_error_and_starts_nothing(api: GraphQLClient) -> None:
    await make_badge(api, "visits", {"event": "STORE_VISIT", "aggregate": "COUNT", "target": 2})
    cases = [
        ({"badgeCode": "nope"}, ("NOT_FOUND", ["input", "badgeCode"])),
        ({"badgeCode": "visits"}, ("INVALID_INPUT", ["input", "badgeCode"])),
        ({"badgeCode": "visits", "batchSize": 0}, ("INVALID_INPUT", ["input", "batchSize"])),
    ]
    for given, expected in cases:
        payload = data(await api.admin(START, {"input": given}))["startBackfill"]
        assert payload["run"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [expected]
    assert await BackfillRun.all().count() == 0
    assert await AuditEntry.filter(action="badge.backfill").count() == 0


@pytest.mark.parametrize("raw", ["0", "-1", "x", "\u00b2", "9" * 30, str(2**63)])
async def test_an_id_that_names_no_run_reads_null(api: GraphQLClient, raw: str) -> None:
    answer = await api.admin(RUN, {"id": raw})
    assert "errors" not in answer, answer
    assert data(answer)["backfillRun"] is None


async def test_the_analyst_reads_runs_and_may_not_start_one(api: GraphQLClient) -> None:
    await record_history(api)
    await make_badge(api, "two-app", TWO_APP)
    started = data(await api.admin(START, {"input": {"badgeCode": "two-app"}}))["startBackfill"]
    await finished_run(api, started["run"]["id"])
    await make_accounts(api)
    csrf = await signed_in(api, ANALYST)
    refused = await console_post(api, START, {"input": {"badgeCode": "two-app"}}, csrf=csrf)
    assert error_codes(refused.json()) == ["FORBIDDEN"]
    assert await BackfillRun.all().count() == 1
    read = await console_post(api, RUN, {"id": started["run"]["id"]}, csrf=csrf)
    assert read.json()["data"]["backfillRun"]["status"] == "DONE"
    member = await api.member("alice", START, {"input": {"badgeCode": "two-app"}})
    assert error_codes(member) == ["FORBIDDEN"]


class ProcessStopped(Exception):
    """The process running a back-fill went away between two batches."""


async def test_a_run_left_by_a_stopped_process_is_resumed_and_awards_nobody_twice(
    api: GraphQLClient,
) -> None:
    await record_history(api)
    await make_badge(api, "two-app", TWO_APP, points=40)
    now = api.clock.now()
    run = await backfill_runs.start_backfill("two-app", 1, Actor(ADMIN), now)
    ticks = iter([now])

    def dies_after_one_batch() -> datetime:
        moment = next(ticks, None)
        if moment is None:
            raise ProcessStopped
        return moment

    with pytest.raises(ProcessStopped):
        await backfill_runs.run_backfill(run.id, dies_after_one_batch)
    left = await BackfillRun.get(id=run.id)
    assert (left.status, left.done, left.after_member_id > 0) == ("RUNNING", 1, True)

    resume = next(job for job in api.runtime.jobs if job.name == "resume-backfills")
    assert await resume.run(api.clock.now()) == 0  # its heartbeat is fresh: maybe still running
    api.clock.advance(backfill_runs.STALE_AFTER + timedelta(seconds=1))
    assert await resume.run(api.clock.now()) == 1
    ended = await BackfillRun.get(id=run.id)
    assert (ended.status, ended.done, ended.total) == ("DONE", 5, 5)
    assert ended.awarded == len(QUALIFYING)  # the first batch's and the rest's
    assert await holders() == sorted(QUALIFYING)
    bonuses = await PointsEntry.filter(description="Badge: Two-App").count()
    assert bonuses == len(QUALIFYING)
    assert await resume.run(api.clock.now()) == 0  # done runs are left alone
