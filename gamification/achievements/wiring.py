"""How the app factory builds the achievement engine."""

from __future__ import annotations

from gamification.achievements.engine import AchievementEngine, SegmentMembership


def build_engine(segments: SegmentMembership | None = None) -> AchievementEngine:
    """The engine for one process. Pass the segments area's membership check to limit
    segment challenges to their members; without it they count for everyone."""
    return AchievementEngine(segments=segments)
