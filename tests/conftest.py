"""Shared fixtures.

The suite runs on the embedded default (SQLite, fakeredis) unless told otherwise:
- FIDELIO_TEST_DATABASE_URL=postgres://...  runs database tests on PostgreSQL
- FIDELIO_TEST_REDIS_URL=redis://...        runs Redis tests on a real Redis
Each test gets its own key prefix on Redis, removed afterwards, so runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("FIDELIO_TEST_REDIS_URL", "")
DATABASE_URL = os.environ.get("FIDELIO_TEST_DATABASE_URL", "")


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


def make_redis_client() -> aioredis.Redis:
    if REDIS_URL:
        return aioredis.from_url(REDIS_URL, decode_responses=True)
    import fakeredis

    return fakeredis.FakeAsyncRedis(decode_responses=True)


@pytest.fixture
def redis_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def redis_client(redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A Redis client (real or fake); every key a test writes must start with `redis_prefix`."""
    client = make_redis_client()
    try:
        yield client
    finally:
        keys = [k async for k in client.scan_iter(match=f"{redis_prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
