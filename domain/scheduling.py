"""Scheduled jobs: the one shape every area hands to the runtime's scheduler.

A job runs every `every`; `run(now)` returns how many items it handled. It must be idempotent:
several workers may run it at once. Each area lists its jobs as data (`push.wiring`,
`webhooks.wiring`, `gamification.leaderboards.wiring`); the runtime joins the lists with
`schedule`, which refuses two jobs of one name (both would run, doing the work twice).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ScheduledJob:
    """Something to run every `every`; `run(now)` returns how much it did."""

    name: str
    every: timedelta
    run: Callable[[datetime], Awaitable[int]]


class DuplicateJob(ValueError):
    """Two scheduled jobs share a name."""


def schedule(*groups: Iterable[ScheduledJob]) -> list[ScheduledJob]:
    """The jobs of every group, in order; raises `DuplicateJob` when a name comes twice."""
    jobs: list[ScheduledJob] = []
    names: set[str] = set()
    for group in groups:
        for job in group:
            if job.name in names:
                raise DuplicateJob(f"the job {job.name!r} is scheduled twice")
            names.add(job.name)
            jobs.append(job)
    return jobs
