"""A real server with the demo program, and Chromium driven by Playwright.

Skipped when Debian's `chromium` or the playwright package is missing (`.ci/run` installs
both). Playwright drives the system browser (`executable_path`); it never downloads one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Where the tests leave a screenshot of each screen (the README names this folder).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "console-screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import playwright  # noqa: F401

        missing = None if Path(CHROMIUM).exists() else "needs Debian's chromium"
    except ImportError:
        missing = "needs playwright (pip install playwright)"
    for item in items:
        if "browser" in item.keywords and missing:
            item.add_marker(pytest.mark.skip(reason=missing))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def console_url(console_server: tuple[str, dict[str, str]]) -> str:
    """The address of `console_server`."""
    return console_server[0]


@pytest.fixture(scope="module")
def console_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str]]]:
    """A `fidelio serve` on a free loopback port over a fresh SQLite file with the demo, and
    the environment it runs with (for `fidelio jobs` on the same database)."""
    folder = tmp_path_factory.mktemp("console")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{folder}/fidelio.sqlite3",
        "FIDELIO_ENV": "development",
        "RUN_BACKGROUND": "false",
    }
    env.pop("REDIS_URL", None)
    fidelio = [sys.executable, "-m", "api.cli"]
    for step in (["migrate"], ["seed-demo"]):
        subprocess.run([*fidelio, *step], env=env, check=True, capture_output=True, timeout=180)
    port = _free_port()
    server = subprocess.Popen(
        [*fidelio, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("the console's server did not start")
        yield url, env
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module: Playwright's sync API runs an event loop of its own,
    which must be gone before the suite's async tests run again."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, console_url: str) -> Iterator[object]:
    """A fresh browser context (no cookies) on a laptop-sized screen; fails the test on any
    script error of the page."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []
