"""The scheduled jobs the runtime wires."""

from __future__ import annotations

from collections import Counter

from api.runtime import build_runtime
from api.settings import Settings
from domain.clock import FrozenClock


def test_each_scheduled_job_is_registered_once() -> None:
    runtime = build_runtime(
        Settings(env="test", database_url="sqlite://:memory:", run_background=False),
        clock=FrozenClock(),
    )

    names = Counter(job.name for job in runtime.jobs)

    assert names["segment-counts"] == 1
    assert [name for name, count in names.items() if count > 1] == []
