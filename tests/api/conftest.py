"""A client for GraphQL through the real app, with tokens per role and a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from api.app import create_app
from api.auth import mint_token
from api.runtime import Runtime, build_runtime
from api.settings import Settings
from domain.clock import FrozenClock


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    settings: Settings
    runtime: Runtime
    clock: FrozenClock

    def token(self, role: str, sub: str) -> str:
        return mint_token(self.settings, role, sub)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def member(
        self, sub: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self.post(query, variables, token=self.token("member", sub))

    async def service(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.post(query, variables, token=self.token("service", "shop"))

    async def admin(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.post(query, variables, token=self.token("admin", "admin@shop"))

    async def deliver_events(self) -> int:
        """Run the outbox dispatcher until nothing is due (what the background task does)."""
        return await self.runtime.dispatcher.run_until_idle()


def data(result: dict[str, Any]) -> dict[str, Any]:
    """The data of a result that must have no GraphQL errors."""
    assert "errors" not in result or not result["errors"], result.get("errors")
    return result["data"]


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in result.get("errors") or []]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def api_settings(db: str, redis_prefix: str) -> Settings:
    return Settings(env="test", database_url=db, redis_prefix=redis_prefix, run_background=False)


@pytest.fixture
async def api(
    api_settings: Settings, clock: FrozenClock, redis_client: aioredis.Redis
) -> AsyncIterator[GraphQLClient]:
    runtime = build_runtime(api_settings, clock=clock, redis=redis_client)
    app = create_app(api_settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fidelio.test") as http:
        yield GraphQLClient(http=http, settings=api_settings, runtime=runtime, clock=clock)
    # The db and redis fixtures close what they opened.
    for task in runtime._tasks:
        task.cancel()
    if runtime.fanout is not None:
        await runtime.fanout.close()
