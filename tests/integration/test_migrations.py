"""The committed migrations describe the models exactly: nothing left for makemigrations."""

from __future__ import annotations

import copy

from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from api.db import TORTOISE_ORM


async def test_the_models_need_no_migration_that_is_not_committed() -> None:
    config = copy.deepcopy(TORTOISE_ORM)
    async with tortoise_cli_context(config) as context:
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    pending = [f"{w.app_label}.{w.name}" for w in writers]
    assert pending == [], "run `make migrations` and commit the new migration"
