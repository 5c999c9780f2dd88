"""Badges, challenges and streaks: the engine over the rules core, admin use cases, read
models and back-fill.

- `engine.AchievementEngine`: the `ActivityObserver` the app wires into the domain's use cases.
- `services`: `upsert_badge`, `upsert_challenge` (admin).
- `queries`: what members and admins read (badges with rarity and progress, challenges by
  status, a member's badges).
- `backfill.backfill_badge`: evaluate one badge over the members' history.
- `wiring.build_engine`: the engine as the app factory builds it.
"""
