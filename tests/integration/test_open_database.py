"""Opening a database in a process that had another open before (a command run in process, a
test): what tortoise kept of the first (each table's INSERT, per connection name) must not be
sent to the second."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.db import close_database, migrate, open_database
from domain.members.models import Member
from domain.members.services import create_member

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.postgres
async def test_a_process_that_wrote_to_sqlite_writes_to_postgresql_after(
    database_url: str, tmp_path: Path
) -> None:
    sqlite = f"sqlite://{tmp_path}/before.sqlite3"
    await migrate(sqlite)
    await open_database(sqlite)
    try:
        await create_member("on-sqlite", NOW, record=False)
    finally:
        await close_database()

    await open_database(database_url)
    try:
        await create_member("on-postgres", NOW, record=False)  # `?` placeholders fail here
        assert await Member.filter(customer_id="on-postgres").count() == 1
        await Member.filter(customer_id="on-postgres").delete()
    finally:
        await close_database()
