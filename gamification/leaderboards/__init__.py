"""Leaderboards: windows and periods, and their exact orderings kept in Redis (derived state)."""

from gamification.leaderboards.periods import (
    LeaderboardWindow,
    Period,
    period_for,
    previous_period,
    start_of_local_day,
)
from gamification.leaderboards.store import (
    MAX_SCORE,
    BoardKey,
    LeaderboardStore,
    ScoreEntry,
    Standing,
)
from gamification.leaderboards.throttle import Publication, publish_throttled

__all__ = [
    "MAX_SCORE",
    "BoardKey",
    "LeaderboardStore",
    "LeaderboardWindow",
    "Period",
    "Publication",
    "ScoreEntry",
    "Standing",
    "period_for",
    "previous_period",
    "publish_throttled",
    "start_of_local_day",
]
