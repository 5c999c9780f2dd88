"""The demo as a new user starts it (`make run`): migrate, seed-demo and serve as separate
processes on the embedded default, so the in-process Redis of the seeding is gone when the
server starts."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.auth import mint_token
from api.settings import Settings
from bench.harness import free_port
from tests.contract.contract_check import operations

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@dataclass
class Demo:
    base: str
    log: Path
    #: What `fidelio seed-demo` printed (what `make run` shows before serving).
    seeded: str


def fidelio(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "api.cli", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300, text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{folder / 'fidelio.sqlite3'}",
        "REDIS_URL": "",
        "FIDELIO_ENV": "development",
        "LOG_FORMAT": "json",
    }
    fidelio("migrate", env=env)
    seeded = fidelio("seed-demo", env=env).stdout
    port = free_port()
    log = folder / "server.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=stderr, stderr=stderr,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield Demo(base, log, seeded)
    finally:
        process.terminate()
        process.wait(timeout=20)


def member_app(name: str) -> str:
    from graphql import print_ast

    return next(print_ast(doc) for op, doc in operations() if op.endswith(f":{name}"))


def ask(demo: Demo, name: str, variables: dict[str, object] | None = None) -> dict:
    token = mint_token(Settings(), "member", "alice")
    response = httpx.post(
        f"{demo.base}/graphql",
        json={"query": member_app(name), "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": f"demo-{name}"},
        timeout=30,
    )
    result = response.json()
    assert not result.get("errors"), result
    return result["data"]


def test_every_demo_board_has_members_through_the_served_api(demo: Demo) -> None:
    boards = ask(demo, "Leaderboards")["leaderboards"]
    assert len(boards) >= 4
    for board in boards:
        for window in board["windows"]:
            variables = {"code": board["code"], "window": window, "first": 10}
            shown = ask(demo, "Leaderboard", variables)["leaderboard"]
            assert shown["totalEntries"] > 0, (board["code"], window)
            assert shown["top"][0]["rank"] == 1 and shown["top"][0]["member"]["displayName"]


def test_seeding_prints_where_graphiql_is_and_a_member_token_that_works(demo: Demo) -> None:
    assert "GraphiQL: http://127.0.0.1:8000/graphql" in demo.seeded
    found = re.search(r'\{"Authorization": "Bearer ([^"]+)"\}', demo.seeded)
    assert found is not None, demo.seeded
    assert "\r" not in demo.seeded, "no progress bar on a pipe"
    response = httpx.post(
        f"{demo.base}/graphql",
        json={"query": "{ me { customerId } }"},
        headers={"Authorization": f"Bearer {found.group(1)}"},
        timeout=30,
    )
    assert response.json() == {"data": {"me": {"customerId": "alice"}}}


def test_the_first_demo_member_can_afford_a_reward(demo: Demo) -> None:
    rewards = ask(demo, "Rewards")["rewards"]
    assert any(reward["canRedeem"] for reward in rewards)


def test_graphiql_references_only_assets_the_app_serves(demo: Demo) -> None:
    page = httpx.get(f"{demo.base}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    references = re.findall(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"', page.text)
    assert len(references) == 6
    assert not re.search(r"https?://|//unpkg|cdn", page.text)
    for reference in references:
        assert reference.startswith("/graphiql-assets/"), reference
        asset = httpx.get(f"{demo.base}{reference}", timeout=30)
        assert asset.status_code == 200, reference
        tag = re.search(rf'"{re.escape(reference)}" integrity="sha384-([^"]+)"', page.text)
        assert tag is not None
        digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
        assert digest == tag.group(1), f"{reference} is not the file its integrity names"


def test_the_server_logs_json_lines_with_the_request_id(demo: Demo) -> None:
    ask(demo, "Home")
    time.sleep(0.3)
    lines = [json.loads(line) for line in demo.log.read_text().splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["request_id"] == "demo-Home" for line in lines)
    assert any(line["logger"] == "fidelio.restore" for line in lines)


def test_the_served_metrics_count_the_demo_operations(demo: Demo) -> None:
    ask(demo, "Badges")
    text = httpx.get(f"{demo.base}/metrics", timeout=10).text
    assert re.search(
        r'fidelio_graphql_operations_total\{operation="Badges",outcome="ok",type="query"\} [1-9]',
        text,
    )
