"""Refilling what lives only in Redis when a process starts and finds it missing.

Redis holds derived state (DESIGN, "Where state lives"). The embedded stand-in starts empty in
every process, and a real Redis may have been flushed or replaced: the server and the worker
call `restore_derived_state` once at start, before their background tasks run. Each part costs
one EXISTS when nothing is missing.
"""

from __future__ import annotations

import logging

from api.runtime import Runtime
from gamification.leaderboards.rebuild import restore_if_missing

log = logging.getLogger("fidelio.restore")


async def restore_derived_state(runtime: Runtime) -> dict[str, int]:
    """Rebuild the leaderboards if this Redis lacks them; returns what was rebuilt.

    The geofence index needs nothing here: it keeps its own marker and rebuilds itself on the
    first search that finds it missing (push.stores.geoindex).
    """
    rebuilt: dict[str, int] = {}
    if runtime.boards is not None:
        entries = await restore_if_missing(runtime.boards, runtime.clock.now())
        if entries is not None:
            rebuilt["leaderboard entries"] = entries
            log.info("leaderboards rebuilt from the database: %s entries", entries)
    return rebuilt
