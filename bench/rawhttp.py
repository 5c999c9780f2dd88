"""A lean HTTP/1.1 keep-alive client for load generation: one asyncio stream per connection.

httpx's pool slows down sharply with hundreds of concurrent connections in one event loop
(encode/httpx#3215): at 200 clients the load generator, not the server, set the pace. This
client does only what a benchmark needs (POST JSON, read a Content-Length or chunked body,
keep the connection), so its cost per request stays flat with concurrency.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class ConnectionClosed(Exception):
    pass


class Connection:
    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.reader = self.writer = None

    async def post_json(
        self, path: str, payload: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Any]:
        """POST `payload`; (status, decoded JSON body). Reconnects once if the server had
        closed an idle connection before the request was sent."""
        body = json.dumps(payload).encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
            "",
            "",
        ]
        request = "\r\n".join(head).encode() + body
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(request)
                await self.writer.drain()
                return await self._response()
            except (ConnectionClosed, ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def graphql(self, query: str, variables: dict[str, Any], bearer: str) -> tuple[int, Any]:
        """POST a GraphQL request to /graphql with a bearer token; (status, decoded body)."""
        return await self.post_json(
            "/graphql",
            {"query": query, "variables": variables},
            {"Authorization": f"Bearer {bearer}"},
        )

    async def _response(self) -> tuple[int, Any]:
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionClosed()
        status = int(status_line.split()[1])
        length: int | None = None
        chunked = False
        keep_alive = True
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                keep_alive = False
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            data = await self.reader.readexactly(length or 0)
        if not keep_alive:
            await self.close()
        return status, json.loads(data) if data else None
