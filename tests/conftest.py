"""Shared fixtures.

The suite runs on the embedded default (SQLite, fakeredis) unless told otherwise:
- FIDELIO_TEST_DATABASE_URL=postgres://...  runs database tests on PostgreSQL
- FIDELIO_TEST_REDIS_URL=redis://...        runs Redis tests on a real Redis
- FIDELIO_TEST_REDIS_CLUSTER_NODES=host:port,...  runs them on a Redis Cluster instead
- FIDELIO_TEST_DATABASE_ADMIN_URL=postgres://...  where CREATE/DROP DATABASE go when the test
  URL goes through a transaction pooler (PgBouncer); default: the test URL without its query
Each test gets its own key prefix on Redis, removed afterwards, so runs never collide.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from api.redis_cluster import RedisClient

# Property tests judge correctness, not speed: a busy CI machine must not fail them on time.
settings.register_profile("fidelio", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fidelio")

REDIS_CLUSTER_NODES = os.environ.get("FIDELIO_TEST_REDIS_CLUSTER_NODES", "")
REDIS_URL = (
    f"redis+cluster://{REDIS_CLUSTER_NODES}"
    if REDIS_CLUSTER_NODES
    else os.environ.get("FIDELIO_TEST_REDIS_URL", "")
)
DATABASE_URL = os.environ.get("FIDELIO_TEST_DATABASE_URL", "")
DATABASE_ADMIN_URL = os.environ.get("FIDELIO_TEST_DATABASE_ADMIN_URL", "")


def real_redis() -> bool:
    return bool(REDIS_URL)


def on_postgres() -> bool:
    return DATABASE_URL.startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs FIDELIO_TEST_DATABASE_URL=postgres://...")
    skip_redis = pytest.mark.skip(reason="needs FIDELIO_TEST_REDIS_URL=redis://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres():
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not real_redis():
            item.add_marker(skip_redis)


def make_redis_client() -> RedisClient:
    if REDIS_URL:
        from api.runtime import redis_client

        return redis_client(REDIS_URL)  # the servers' own kind of client
    import fakeredis

    return fakeredis.FakeAsyncRedis(decode_responses=True)


@pytest.fixture
def redis_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def redis_client(redis_prefix: str) -> AsyncIterator[RedisClient]:
    """A Redis client (real or fake); every key a test writes must start with `redis_prefix`.
    Afterwards the keys are removed by prefix (on a cluster, SCAN visits every primary and
    DEL is split by slot by the client)."""
    client = make_redis_client()
    try:
        yield client
    finally:
        keys = [k async for k in client.scan_iter(match=f"{redis_prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


# ---------------------------------------------------------------- database


def _admin_dsn() -> str:
    """Where databases are created and dropped: straight to PostgreSQL (a transaction pooler
    in front keeps server connections to the database, and tortoise's URL parameters such as
    `statement_cache_size` are no connection parameters of asyncpg's)."""
    url = DATABASE_ADMIN_URL or DATABASE_URL.partition("?")[0]
    return url.replace("postgresql://", "postgres://", 1)


def _with_database(dsn: str, name: str) -> str:
    """`dsn` naming the database `name` instead, its query (`?statement_cache_size=0`) kept."""
    url, mark, query = dsn.partition("?")
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}{mark}{query}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per session, through the project's own migrations.

    SQLite: a template file that each test copies. PostgreSQL: a database of our own, created
    and dropped here, truncated between tests.
    """
    import asyncio

    import asyncpg

    from api.db import migrate

    if on_postgres():
        name = f"fidelio_test_{uuid.uuid4().hex[:12]}"

        async def create() -> None:
            conn = await asyncpg.connect(_admin_dsn())
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        async def drop() -> None:
            conn = await asyncpg.connect(_admin_dsn())
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(create())
        url = _with_database(DATABASE_URL.replace("postgresql://", "postgres://", 1), name)
        asyncio.run(migrate(url))
        try:
            yield url
        finally:
            asyncio.run(drop())
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        asyncio.run(migrate(f"sqlite://{path}"))
        yield f"sqlite://{path}"


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, migrated database opened through tortoise for this test; yields its URL."""
    from tortoise import Tortoise, connections

    from api.db import open_database

    if on_postgres():
        url = database_url
        await open_database(url)
        conn = connections.get("default")
        _, rows = await conn.execute_query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'tortoise_migrations'"
        )
        tables = ", ".join(f'"{r["tablename"]}"' for r in rows)
        if tables:
            await conn.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(database_url.removeprefix("sqlite://"), path)
        url = f"sqlite://{path}"
        await open_database(url)
    try:
        yield url
    finally:
        await Tortoise.close_connections()
