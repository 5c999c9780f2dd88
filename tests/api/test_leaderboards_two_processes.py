"""Two server processes on one PostgreSQL and one Redis: a subscriber connected to process A
hears a board change scored by process B (Redis pub/sub carries it across processes).

Process A serves only (RUN_BACKGROUND=false), so the outbox event can only be handled by
process B's dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import websockets

from api.schema import schema_sdl
from bench.harness import server, token
from tests.conftest import REDIS_URL
from tests.integration import leaderboard_setup as setup
from tests.redis_support import shard_subscribers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SUBSCRIBE = """
subscription OnLeaderboard($code: String!, $window: LeaderboardWindow!) {
  leaderboardChanged(code: $code, window: $window) {
    code window totalEntries
    top(first: 10) { rank score member { id displayName } }
  }
}"""
UPSERT = """
mutation UpsertLeaderboard($input: LeaderboardInput!) {
  upsertLeaderboard(input: $input) { leaderboard { code } userErrors { code message } }
}"""
RECORD_PURCHASE = """
mutation RecordPurchase($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) { purchase { id } userErrors { code field message } }
}"""


@contextlib.contextmanager
def two_servers(database_url: str, prefix: str):  # type: ignore[no-untyped-def]
    shared = {"REDIS_PREFIX": prefix}
    with (
        server(database_url, REDIS_URL, extra_env={**shared, "RUN_BACKGROUND": "false"}) as a,
        server(database_url, REDIS_URL, extra_env=shared) as b,
    ):
        yield a, b


def post(base: str, query: str, variables: dict[str, Any], bearer: str) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    return response.json()


async def subscribe(base: str, redis: aioredis.Redis, channel: str):  # type: ignore[no-untyped-def]
    ws = await websockets.connect(
        base.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]
    )
    bearer = token("member", "watcher")
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    variables = {"code": "spend", "window": "WEEKLY"}
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": variables},
            }
        )
    )
    deadline = time.monotonic() + 5
    while await shard_subscribers(redis, channel) < 1:  # A has subscribed on Redis
        assert time.monotonic() < deadline, "process A never subscribed"
        await asyncio.sleep(0.05)
    return ws


async def next_push(ws: Any) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    assert message["type"] == "next", message
    return message["payload"]["data"]["leaderboardChanged"]


def channel_of(prefix: str) -> str:
    return f"{prefix}lbch:{{spend}}:weekly:_"


async def test_a_subscriber_on_process_a_hears_a_change_scored_by_process_b(
    db: str, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    with two_servers(db, redis_prefix) as (a, _b):
        spend = {"code": "spend", "name": "Spend", "metric": "AMOUNT_SPENT", "windows": ["WEEKLY"]}
        saved = post(a, UPSERT, {"input": spend}, token("admin", "admin"))
        assert saved["data"]["upsertLeaderboard"]["userErrors"] == []
        ws = await subscribe(a, redis_client, channel_of(redis_prefix))
        try:
            ana = await setup.member("ana", datetime.now(UTC), display_name="Ana")
            # Written to the database and its outbox; only process B runs a dispatcher.
            await setup.purchase(ana, "42.50", datetime.now(UTC))
            pushed = await next_push(ws)
        finally:
            await ws.close()
    assert pushed == {
        "code": "spend",
        "window": "WEEKLY",
        "totalEntries": 1,
        "top": [{"rank": 1, "score": 42.5, "member": {"id": str(ana.id), "displayName": "Ana"}}],
    }


@pytest.mark.skipif(
    "recordPurchase(" not in schema_sdl(),
    reason="recordPurchase is built on branch points and not merged here yet",
)
async def test_a_subscriber_on_process_a_hears_a_purchase_recorded_through_process_b(
    db: str, redis_client: aioredis.Redis, redis_prefix: str
) -> None:
    with two_servers(db, redis_prefix) as (a, b):
        spend = {"code": "spend", "name": "Spend", "metric": "AMOUNT_SPENT", "windows": ["WEEKLY"]}
        post(a, UPSERT, {"input": spend}, token("admin", "admin"))
        ws = await subscribe(a, redis_client, channel_of(redis_prefix))
        try:
            order = {
                "orderId": f"o-{uuid.uuid4().hex[:8]}",
                "customerId": "ana",
                "amount": "42.50",
                "currency": "EUR",
                "channel": "APP",
            }
            recorded = post(b, RECORD_PURCHASE, {"input": order}, token("service", "shop"))
            assert recorded["data"]["recordPurchase"]["userErrors"] == []
            pushed = await next_push(ws)
        finally:
            await ws.close()
    assert pushed["totalEntries"] == 1
    assert [(e["rank"], e["score"]) for e in pushed["top"]] == [(1, 42.5)]
