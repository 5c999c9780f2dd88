"""A Redis server of the test's own, on a free loopback port, that the test may stop and start.

Fault tests stop this one, never the shared server: `redis-server --port N --save ''
--appendonly no` (nothing on disk, so a restart comes back empty, as a crashed cache does).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process at a time on `port`; `stop` kills it, `start` brings it back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self._process is None, "already running"
        # Nothing on disk: a restart comes back empty, as a crashed cache does.
        options = {
            "--port": str(self.port),
            "--bind": "127.0.0.1",
            "--save": "",
            "--appendonly": "no",
        }
        self._process = subprocess.Popen(
            ["redis-server", *(part for pair in options.items() for part in pair)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the server at once, dropping every client connection (as a crash would)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A running server of our own, stopped whatever happens to the test."""
    if shutil.which("redis-server") is None:
        import pytest

        pytest.skip("needs the redis-server program")
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
