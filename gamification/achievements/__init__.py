"""Badges, challenges and streaks: the engine over the rules core, admin use cases, read
models and back-fill.

- `engine.AchievementEngine`: the `ActivityObserver` the app wires into the domain's use cases.
- `services`: `upsert_badge`, `upsert_challenge` (admin).
- `queries`: what members and admins read (badges with rarity and progress, challenges by
  status, a member's badges).
- `backfill.backfill_badge`: evaluate one badge over the members' history.
- `catalogue`: the in-memory index by event kind, rule fingerprints, the catalogue version.
- `awarding`: badges and challenge completions exactly once, with their rewards and events.
- `segments`: the segments area's membership check, for segment challenges.
- `demo`: the demo program's badges and challenges.
- `wiring.build_engine`: the engine as the app factory builds it.
"""
