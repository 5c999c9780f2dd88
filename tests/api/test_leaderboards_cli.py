"""`fidelio leaderboards rebuild` from the command line, on a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fidelio(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


@pytest.mark.slow
def test_the_rebuild_command_recreates_the_boards_of_the_demo(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path / 'fidelio.sqlite3'}",
        "REDIS_URL": "",
        "FIDELIO_ENV": "development",
    }
    fidelio("migrate", env=env)
    fidelio("seed-demo", env=env)
    # The embedded Redis lives in the process: each command starts empty, so the count is
    # everything this rebuild wrote from the database.
    out = fidelio("leaderboards", "rebuild", env=env)
    assert out.startswith("leaderboards rebuilt: ")
    assert int(out.split(": ")[1].split()[0]) > 0
