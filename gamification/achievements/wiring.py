"""How the app factory builds the achievement engine."""

from __future__ import annotations

from domain.program import ProgramCache
from gamification.achievements.engine import AchievementEngine


def build_engine(program: ProgramCache | None = None) -> AchievementEngine:
    """The engine for one process: pass it as the `ActivityObserver` of the domain's use
    cases (recordPurchase, recordEngagement, redemptions, drop claims, referrals, visits).
    `program`: the process's configuration cache (the runtime's)."""
    return AchievementEngine(program)
