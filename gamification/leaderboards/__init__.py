"""Leaderboards: windows and periods, and their exact orderings kept in Redis (derived state).

- `periods`, `store`, `throttle`: periods in the program's zone, the Redis orderings, throttled
  announcements;
- `models`: definitions, archived standings, period closes and prizes (the database);
- `metrics`: every score, computed from purchases, the ledger and challenge completions;
- `definitions`, `services`: admins' definitions, opening a board for reading;
- `scoring`: live updates from outbox events (scores SET from `metrics`), erasure;
- `rebuild`: Redis recreated from the database; `closing`: archive, prizes, expiry;
- `boards`: the Redis handle and announcements; `wiring`: handlers and jobs for the runtime.
"""

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
