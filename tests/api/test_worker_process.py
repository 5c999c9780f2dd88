"""`fidelio worker --metrics-port`: the worker's own /metrics, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.harness import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_worker_serves_its_job_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path / 'fidelio.sqlite3'}",
        "REDIS_URL": "",
        "FIDELIO_ENV": "development",
    }
    subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker", "--metrics-port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        text = ""
        for _ in range(300):
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
                if 'fidelio_job_runs_total{job="expire-points",outcome="ok"}' in text:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert re.search(r'fidelio_job_runs_total\{job="expire-points",outcome="ok"\} [1-9]', text)
        assert "fidelio_outbox_backlog_events 0.0" in text
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
