"""The scheduled jobs the runtime wires."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from api.runtime import build_runtime
from api.settings import Settings
from domain.clock import FrozenClock
from domain.scheduling import DuplicateJob, ScheduledJob, schedule
from webhooks.wiring import build_webhooks_area

SETTINGS = Settings(env="test", database_url="sqlite://:memory:", run_background=False)


async def _nothing(now: datetime) -> int:
    return 0


def test_each_scheduled_job_is_registered_once() -> None:
    runtime = build_runtime(SETTINGS, clock=FrozenClock())

    names = Counter(job.name for job in runtime.jobs)

    assert names["segment-counts"] == 1
    assert [name for name, count in names.items() if count > 1] == []


def test_a_job_name_given_twice_is_refused() -> None:
    first = ScheduledJob("segment-counts", timedelta(minutes=15), _nothing)
    other = ScheduledJob("expire-coupons", timedelta(minutes=5), _nothing)
    again = ScheduledJob("segment-counts", timedelta(minutes=1), _nothing)

    assert schedule([first], [other]) == [first, other]
    with pytest.raises(DuplicateJob, match="segment-counts"):
        schedule([first, other], [again])


async def test_the_runtime_refuses_an_area_that_schedules_a_job_already_there() -> None:
    webhooks = build_webhooks_area(SETTINGS, FrozenClock())
    webhooks.jobs.append(ScheduledJob("segment-counts", timedelta(minutes=15), _nothing))
    try:
        with pytest.raises(DuplicateJob, match="segment-counts"):
            build_runtime(SETTINGS, clock=FrozenClock(), webhooks=webhooks)
    finally:
        await webhooks.close()
