"""Where each screen's CPU goes, by process: the server, PostgreSQL, Redis, the load generator.

    .venv/bin/python -m bench.cpu_split [--screens Home Badges] [--seconds 5] [--spy DIR]

Seeds the demo program as bench.screens does, serves it with uvicorn (one process, scheduled
jobs on), and for the trivial query and then each screen runs closed-loop load at c=8 as
bench.screens does. Before and after each run it reads from /proc the CPU time (user + system)
of the server's process, of every PostgreSQL process and of Redis, and this process's own (the
load generator), and prints each per request. The screens' ratios to the trivial query follow
the server's CPU: its one core is what bounds them (the load generator and PostgreSQL share
the other). With `--spy DIR`, py-spy (not a dependency: `.venv/bin/pip install py-spy`)
samples the server during each run, idle included, raw stacks into `DIR/<name>.txt`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from bench.harness import REDIS_URL, TRIVIAL, measure, postgres_database, server, token
from bench.leaderboards import clean_redis
from bench.screens import SCREENS, operation, seed

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("server", "postgres", "redis", "load generator")


def _processes() -> list[tuple[int, str, bytes, float]]:
    """(pid, name, command line, CPU seconds) of every process this user may read."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found.append((int(entry), name, command, (int(fields[11]) + int(fields[12])) / TICKS))
    return found


def server_pid(port: int) -> int:
    """The uvicorn process serving `port`."""
    for pid, _, command, _ in _processes():
        arguments = command.split(b"\0")
        if b"uvicorn" in command and str(port).encode() in arguments:
            return pid
    raise RuntimeError(f"no uvicorn process serves port {port}")


def cpu_seconds(server: int) -> dict[str, float]:
    """CPU seconds so far, by group."""
    spent = dict.fromkeys(GROUPS, 0.0)
    for pid, name, command, seconds in _processes():
        if pid == server:
            spent["server"] += seconds
        elif name.startswith("postgres") or command.startswith(b"postgres"):
            spent["postgres"] += seconds
        elif name.startswith("redis-server"):
            spent["redis"] += seconds
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent["load generator"] = usage.ru_utime + usage.ru_stime
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screens", nargs="*", default=list(SCREENS), choices=list(SCREENS))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--spy", metavar="DIR", help="py-spy's raw stacks of the server per run")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if args.spy and not os.path.exists(py_spy):
        parser.error("--spy needs py-spy: .venv/bin/pip install py-spy")
    prefix = f"bench{uuid.uuid4().hex[:6]}:"
    with postgres_database() as database, clean_redis(prefix):
        print("seeded:", asyncio.run(seed(database, prefix, args.members)))
        member = token("member", "alice")
        baseline = token("member", "bench-baseline")
        runs: list[tuple[str, str, dict[str, Any], str]] = [
            ("trivial", TRIVIAL, {}, baseline),
            *((name, operation(name), SCREENS[name], member) for name in args.screens),
        ]
        with server(database, REDIS_URL, extra_env={"REDIS_PREFIX": prefix}) as base:
            pid = server_pid(int(base.rsplit(":", 1)[1]))
            print(f"{'operation':14} {'per second':>10} " + " ".join(f"{g:>15}" for g in GROUPS))
            for name, document, variables, bearer in runs:

                def send(
                    n: int,
                    document: str = document,
                    variables: dict[str, Any] = variables,
                    bearer: str = bearer,
                ) -> tuple[str, dict[str, Any], str]:
                    return document, variables, bearer

                spy = None
                if args.spy:
                    os.makedirs(args.spy, exist_ok=True)
                    spy = subprocess.Popen(
                        [
                            py_spy, "record", "--pid", str(pid), "--duration",
                            str(max(1, int(args.seconds))), "--rate", "250", "--format", "raw",
                            "--idle", "--nonblocking", "--output", f"{args.spy}/{name}.txt",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                before = cpu_seconds(pid)
                figures = measure(
                    base, name, send, concurrency=args.concurrency, seconds=args.seconds
                )
                after = cpu_seconds(pid)
                if spy is not None:
                    spy.wait()
                requests = max(1, figures.requests)
                spent = " ".join(
                    f"{(after[g] - before[g]) / requests * 1000:12.3f} ms" for g in GROUPS
                )
                print(f"{name:14} {figures.per_second:10.1f} {spent}", flush=True)


if __name__ == "__main__":
    main()
