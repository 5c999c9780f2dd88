"""The real server in its own process, as `make run` starts it: HTTP and websockets."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from api.auth import mint_token
from api.settings import Settings
from bench.harness import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("server") / "fidelio.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{database}",
        "REDIS_URL": "",
        "FIDELIO_ENV": "development",
    }
    subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a busy machine: this test is not about shutdown
            process.kill()
            process.wait(timeout=10)


def token(role: str, sub: str) -> str:
    return mint_token(Settings(), role, sub)


def test_the_server_answers_me_for_a_minted_token(served: str) -> None:
    response = httpx.post(
        f"http://{served}/graphql",
        json={"query": "{ me { id customerId } }"},
        headers={"Authorization": f"Bearer {token('member', 'alice')}"},
    )
    assert response.json()["data"]["me"]["customerId"] == "alice"
    assert response.headers["x-request-id"]


async def _connection_init(served: str, payload: dict[str, str]) -> tuple[str, int | None]:
    async with websockets.connect(
        f"ws://{served}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            return message["type"], None
        except websockets.ConnectionClosed as closed:
            return "closed", closed.rcvd.code if closed.rcvd else None


async def test_websocket_clients_authenticate_in_connection_init(served: str) -> None:
    good = {"Authorization": f"Bearer {token('member', 'alice')}"}
    assert await _connection_init(served, good) == ("connection_ack", None)
    assert await _connection_init(served, {"Authorization": "Bearer nonsense"}) == ("closed", 4403)
    assert await _connection_init(served, {}) == ("closed", 4403)
