"""How the app factory builds the achievement engine."""

from __future__ import annotations

from gamification.achievements.engine import AchievementEngine


def build_engine() -> AchievementEngine:
    """The engine for one process: pass it as the `ActivityObserver` of the domain's use
    cases (recordPurchase, recordEngagement, redemptions, drop claims, referrals, visits)."""
    return AchievementEngine()
