"""The quick benchmarks in one run, and their figures in one table.

    .venv/bin/python -m bench.summary [--full]

Runs each benchmark as its own command (as a reader would, one after the other, never two at
once: they share the machine's cores) with sizes that keep the whole run to a few minutes,
collects every figure row they print (`operation c=N .../s p50 ... p99 ... ratio ...`, the
ratio being against the trivial query `{ __typename }` measured by the same command on the
same server in the same run) and prints them as one table. `--full` runs the sizes the
README's targets are stated at (1,000,000-member board, 100,000 fences, 20,000 claims):
much slower. A benchmark that fails is reported with its exit status, and the summary exits
non-zero.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass

#: (title, module, quick arguments, full arguments)
BENCHES: list[tuple[str, str, list[str], list[str]]] = [
    ("screens", "bench.screens", ["--seconds", "3", "--members", "2000"], ["--members", "100000"]),
    ("leaderboards", "bench.leaderboards", ["--members", "100000", "--seconds", "3"], []),
    ("record_purchase", "bench.record_purchase", ["--rounds", "1", "--seconds", "3"], []),
    ("push_geofences", "bench.push_geofences", ["--stores", "10000", "--seconds", "3"], []),
    (
        "drops_storm",
        "bench.drops_storm",
        ["--members", "1000", "--requests", "4000", "--hammerers", "50"],
        [],
    ),
]
ROW = re.compile(
    r"^(?P<label>.+?)\s+c=(?P<c>\d+)\s+(?P<rate>[\d.]+)/s\s+p50\s+(?P<p50>[\d.]+) ms\s+"
    r"p99\s+(?P<p99>[\d.]+) ms\s+errors\s+(?P<errors>\d+)\s+ratio\s+(?P<ratio>\S+)"
)


@dataclass(frozen=True)
class Row:
    bench: str
    label: str
    concurrency: int
    rate: float
    p50: float
    p99: float
    errors: int
    ratio: str


def run(title: str, module: str, arguments: list[str]) -> tuple[list[Row], list[str], int]:
    """The figure rows a benchmark printed, its other lines, and its exit status."""
    done = subprocess.run(
        [sys.executable, "-m", module, *arguments], capture_output=True, text=True
    )
    rows, other = [], []
    for line in done.stdout.splitlines():
        match = ROW.match(line.strip())
        if match:
            rows.append(
                Row(
                    title,
                    match["label"].strip(),
                    int(match["c"]),
                    float(match["rate"]),
                    float(match["p50"]),
                    float(match["p99"]),
                    int(match["errors"]),
                    match["ratio"],
                )
            )
        elif line.strip():
            other.append(line.strip())
    if done.returncode:
        other.extend(done.stderr.strip().splitlines()[-5:])
    return rows, other, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the README's target sizes")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (by title)")
    args = parser.parse_args()
    table: list[Row] = []
    failed = []
    for title, module, quick, full in BENCHES:
        if args.only and title not in args.only:
            continue
        began = time.monotonic()
        rows, other, status = run(title, module, full if args.full else quick)
        print(f"{title}: {time.monotonic() - began:.0f} s, {len(rows)} figures", flush=True)
        for line in other:
            print(f"    {line}")
        table.extend(rows)
        if status:
            failed.append(f"{title} (exit {status})")
    print()
    print("| bench | operation | c | per second | p50 ms | p99 ms | errors | vs trivial |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in table:
        print(
            f"| {row.bench} | {row.label} | {row.concurrency} | {row.rate:,.0f} | "
            f"{row.p50:.1f} | {row.p99:.1f} | {row.errors} | {row.ratio} |"
        )
    if failed:
        print("failed:", ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
