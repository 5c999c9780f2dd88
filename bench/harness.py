"""Shared benchmark machinery: a real server in a subprocess, a load generator, figures.

Every benchmark measures its operation beside a baseline measured in the same run on the same
server (the trivial query `{ __typename }`), and reports the ratio: these machines are shared
and noisy, so absolute figures travel badly and ratios travel well.

The load generator is an asyncio loop of httpx clients in this process; the server is uvicorn
in another. Both share the machine's cores, so the absolute numbers are lower than with a
separate load host; the ratio is what to compare.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.rawhttp import Connection, ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TRIVIAL = "{ __typename }"


@dataclass(frozen=True)
class Figures:
    label: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @classmethod
    def joined(cls, parts: list[Figures]) -> Figures:
        """The figures of several runs of one operation (alternating rounds) as one run."""
        first = parts[0]
        return cls(
            first.label,
            first.concurrency,
            sum(p.requests for p in parts),
            sum(p.errors for p in parts),
            sum(p.seconds for p in parts),
            tuple(latency for p in parts for latency in p.latencies_ms),
        )

    def row_beside(self, trivial: Figures) -> str:
        """`row` against the trivial query measured in turns with it, whose rate ends it."""
        return f"{self.row(trivial)}  (trivial beside it {trivial.per_second:.1f}/s)"

    def row(self, baseline: Figures | None = None) -> str:
        ratio = f"{self.per_second / baseline.per_second:6.1%}" if baseline else "     -"
        return (
            f"{self.label:<28} c={self.concurrency:<3} {self.per_second:9.1f}/s  "
            f"p50 {self.percentile(50):7.2f} ms  p99 {self.percentile(99):7.2f} ms  "
            f"errors {self.errors:<4} ratio {ratio}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_database(prefix: str = "fidelio_bench") -> Iterator[str]:
    """A fresh PostgreSQL database with the project's migrations applied; dropped afterwards."""
    import asyncpg

    from api.db import migrate

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def server(
    database_url: str,
    redis_url: str | None = REDIS_URL,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    outbox_worker: bool = False,
) -> Iterator[str]:
    """uvicorn serving the app on a free port; yields its base URL.

    With `outbox_worker`, the production topology of docker/compose.yaml: the API process only
    serves (RUN_BACKGROUND=false) and a `fidelio worker` process beside it runs the outbox
    dispatcher and the scheduled jobs, on the same machine (so its work is measured too).
    """
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",
        "FIDELIO_ENV": "development",
        "REDIS_PREFIX": f"bench{uuid.uuid4().hex[:6]}:",
        **({"RUN_BACKGROUND": "false"} if outbox_worker else {}),
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    helpers = []
    if outbox_worker:
        worker_env = {**env, "RUN_BACKGROUND": "true"}
        helpers.append(
            subprocess.Popen(
                [sys.executable, "-m", "api.cli", "worker"],
                cwd=ROOT,
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not become ready in 30 s")
        yield base
    finally:
        for child in (process, *helpers):
            child.terminate()
        for child in (process, *helpers):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def token(role: str, sub: str) -> str:
    from api.auth import mint_token
    from api.settings import load_settings

    return mint_token(load_settings(env_file=None), role, sub, ttl_seconds=3600)


RequestFactory = Callable[[int], tuple[str, dict[str, Any], str]]
"""Given a request number: (query, variables, bearer token)."""


async def _run_load(
    base: str,
    label: str,
    make_request: RequestFactory,
    concurrency: int,
    seconds: float,
    check: Callable[[dict[str, Any]], bool] | None,
) -> Figures:
    latencies: list[float] = []
    errors = 0
    counter = 0
    stop_at = time.perf_counter() + seconds
    # One keep-alive connection per client (bench/rawhttp.py): httpx costs about twice as much
    # CPU per request, and the load generator shares the machine with the server.
    connections = [Connection(base) for _ in range(concurrency)]

    async def worker(connection: Connection) -> None:
        nonlocal errors, counter
        while time.perf_counter() < stop_at:
            number = counter
            counter += 1
            query, variables, bearer = make_request(number)
            started = time.perf_counter()
            try:
                status, body = await connection.graphql(query, variables, bearer)
                ok = status == 200 and isinstance(body, dict) and not body.get("errors")
                if ok and check is not None:
                    ok = check(body)
            except (OSError, ConnectionClosed, asyncio.IncompleteReadError, ValueError):
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            if not ok:
                errors += 1

    began = time.perf_counter()
    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    elapsed = time.perf_counter() - began
    return Figures(label, concurrency, len(latencies), errors, elapsed, tuple(latencies))


def measure(
    base: str,
    label: str,
    make_request: RequestFactory,
    *,
    concurrency: int,
    seconds: float = 5.0,
    warmup: float = 1.0,
    check: Callable[[dict[str, Any]], bool] | None = None,
) -> Figures:
    """Closed-loop load: `concurrency` clients each sending the next request when the last
    one answered, for `seconds` after a warm-up."""
    if warmup:
        asyncio.run(_run_load(base, label, make_request, concurrency, warmup, check))
    return asyncio.run(_run_load(base, label, make_request, concurrency, seconds, check))


def measure_beside_trivial(
    base: str,
    label: str,
    make_request: RequestFactory,
    *,
    concurrency: int,
    seconds: float = 5.0,
    rounds: int = 4,
    check: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[Figures, Figures]:
    """`measure`, taking turns with the trivial query: `rounds` slices of each, alternating,
    `seconds` in all for each. Returns (the operation's figures, the trivial query's). The
    machines are shared: their speed drifts by 10-20% within a minute, so a ratio against
    a baseline measured once, before a run, moves with whatever else the host ran meanwhile;
    against slices taken in turns, it moves much less."""
    trivial = trivial_request()
    asyncio.run(_run_load(base, label, make_request, concurrency, 1.0, check))  # warm-up
    mine: list[Figures] = []
    theirs: list[Figures] = []
    for _ in range(rounds):
        theirs.append(
            asyncio.run(_run_load(base, "trivial", trivial, concurrency, seconds / rounds, None))
        )
        mine.append(
            asyncio.run(_run_load(base, label, make_request, concurrency, seconds / rounds, check))
        )
    return Figures.joined(mine), Figures.joined(theirs)


def trivial_request() -> RequestFactory:
    """The trivial query `{ __typename }`, as the baseline member sends it."""
    bearer = token("member", "bench-baseline")
    return lambda n: (TRIVIAL, {}, bearer)


def trivial_query(base: str, concurrency: int, seconds: float = 5.0) -> Figures:
    return measure(
        base,
        "baseline { __typename }",
        trivial_request(),
        concurrency=concurrency,
        seconds=seconds,
    )


@contextlib.asynccontextmanager
async def in_process_database(url: str) -> AsyncIterator[None]:
    from api.db import close_database, open_database

    await open_database(url)
    try:
        yield
    finally:
        await close_database()


def drain_outbox(database_url: str, timeout: float = 120.0) -> tuple[float, int, int]:
    """Wait for the outbox worker to deliver every event raised so far.

    Returns (seconds it took, events still due at the deadline, events that failed at least
    once): a benchmark that leaves work to a worker reports how far behind the worker was.
    """
    import asyncpg

    async def counts() -> tuple[int, int]:
        conn = await asyncpg.connect(database_url)
        try:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE processed_at IS NULL) AS due,"
                " count(*) FILTER (WHERE last_error IS NOT NULL) AS failed FROM outbox_event"
            )
            return int(row["due"]), int(row["failed"])
        finally:
            await conn.close()

    began = time.perf_counter()
    while True:
        due, failed = asyncio.run(counts())
        waited = time.perf_counter() - began
        if due == 0 or waited > timeout:
            return waited, due, failed
        time.sleep(0.1)


async def asgi_post(app: Any, payload: dict[str, Any], bearer: str) -> dict[str, Any]:
    """POST /graphql straight into the ASGI app, in this process: no sockets and no HTTP
    client, so that a CPU-time measurement is the server's own work."""
    import json

    body = json.dumps(payload).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {bearer}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    delivered = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the app never reads past the body
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return json.loads(b"".join(chunks))


async def cpu_ms_per_request(
    app: Any, payload: dict[str, Any], bearer: str, requests: int = 2000
) -> float:
    """CPU time of this process per in-process request (after a warm-up)."""
    for _ in range(200):
        answer = await asgi_post(app, payload, bearer)
        assert not answer.get("errors"), answer
    began = time.process_time()
    for _ in range(requests):
        await asgi_post(app, payload, bearer)
    return (time.process_time() - began) / requests * 1000


class Statements(logging.Handler):
    """Counts the statements tortoise sends (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith(("Created connection pool", "Closed connection")):
            self.count += 1
