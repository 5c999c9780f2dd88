"""The database: tortoise configuration, opening and closing, and applying migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

APP_LABEL = "fidelio"

#: Every module holding tortoise models, across the layers. One app, one migration history.
MODEL_MODULES = [
    "domain.members.models",
    "domain.points.models",
    "domain.tiers.models",
    "domain.purchases.models",
    "domain.rewards.models",
    "domain.referrals.models",
    "domain.drops.models",
    "domain.segments.models",
    "domain.outbox.models",
    "domain.versions",
    "domain.watermarks",
    "domain.audit.models",
    "domain.achievements.models",
    "domain.offers.models",
    "gamification.leaderboards.models",
    "push.notifications.models",
    "push.stores.models",
    "push.campaigns.models",
    "webhooks.models",
    "api.console.models",
    "push.anniversaries.models",
]


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


async def keep_session(connection: Any) -> None:
    """What the pool does to a connection given back, beyond rolling back a transaction left
    open (asyncpg always does that): nothing. asyncpg's default sends one more statement per
    release (`RESET ALL`, `UNLISTEN *`, `CLOSE ALL`, advisory unlocks), a second round trip
    for every query outside a transaction; nothing here sets session state, listens, keeps
    cursors or takes advisory locks, so there is nothing to reset."""


def tortoise_config(database_url: str) -> dict[str, Any]:
    url = normalise_url(database_url)
    connection: str | dict[str, Any] = url
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgres://"):
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = keep_session
        # No timer per connection given back: asyncpg's pool would close a connection idle
        # for 5 minutes, and arms (and on the next acquire cancels) a loop timer at every
        # release to do so, two timer operations per statement outside a transaction. The
        # pool is small (`maxsize`) and its connections are used all the time or not at all.
        connection["credentials"].setdefault("max_inactive_connection_lifetime", 0)
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(database_url: str) -> None:
    """Open the connections for this process. The context is also the global fallback, so
    that tasks not started from the opening one (uvicorn serves requests in tasks that do not
    descend from the lifespan task) see it too.

    Tortoise keeps each table's INSERT statement per connection name, whatever the database
    behind it (`EXECUTOR_CACHE`): a process that opened SQLite before (a command run in
    process, a test) would send SQLite's `?` placeholders to PostgreSQL. Opening forgets them;
    they are built again on first use."""
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every migration not yet applied (tortoise's own migration executor)."""
    await tortoise_migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


#: For tortoise's own command line (`tortoise makemigrations`), which needs no real database.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
