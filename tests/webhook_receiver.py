"""A shop's webhook receiver for tests: a real HTTP server (Starlette on uvicorn) on a free
loopback port, in the test's own event loop. It records every request as received and
deduplicates by event id as a shop would; tests program its answers (fail the next N
requests, answer slowly, redirect) and can take it down and bring it back on the same port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers["fidelio-event-id"]

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    #: What the shop processed: each event id once, in arrival order.
    processed: list[str] = field(default_factory=list)
    #: The next this many requests (to any path) answer 500.
    fail_next: int = 0
    #: Seconds the `/slow` path waits before answering.
    slow_seconds: float = 1.0
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def receipts(self, path: str = "/hook") -> Counter[str]:
        """How many requests each event id reached `path` with."""
        return Counter(r.event_id for r in self.at(path))

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        entry = Received(request.url.path, {k.lower(): v for k, v in request.headers.items()}, body)
        self.received.append(entry)
        if request.url.path == "/slow":
            await asyncio.sleep(self.slow_seconds)
        if request.url.path == "/redirect":
            return RedirectResponse(self.url("/moved"), status_code=302)
        if self.fail_next > 0:
            self.fail_next -= 1
            return JSONResponse({"error": "shop database down"}, status_code=500)
        if entry.event_id not in self.processed:  # the shop's deduplication
            self.processed.append(entry.event_id)
        return JSONResponse({"ok": True})

    async def start(self) -> None:
        app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST", "GET"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, access_log=False,
            lifespan="off",
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task
        self._server, self._task = None, None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_receiver(start: bool = True) -> AsyncIterator[Receiver]:
    receiver = Receiver(port=free_port())
    if start:
        await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
