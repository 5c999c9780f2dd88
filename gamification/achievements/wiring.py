"""How the app factory builds the achievement engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.program import ProgramCache
from domain.scheduling import ScheduledJob
from gamification.achievements.backfill_runs import resume_backfills
from gamification.achievements.engine import AchievementEngine


def build_engine(program: ProgramCache | None = None) -> AchievementEngine:
    """The engine for one process: pass it as the `ActivityObserver` of the domain's use
    cases (recordPurchase, recordEngagement, redemptions, drop claims, referrals, visits).
    `program`: the process's configuration cache (the runtime's)."""
    return AchievementEngine(program)


def achievement_jobs(clock: Callable[[], datetime]) -> list[ScheduledJob]:
    """`resume-backfills`: carry on the back-fill runs a stopped process left RUNNING."""

    async def resume(now: datetime) -> int:
        return await resume_backfills(now, clock)

    return [ScheduledJob("resume-backfills", timedelta(minutes=1), resume)]
