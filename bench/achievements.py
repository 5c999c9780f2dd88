"""Activities per second through the achievement engine with 10, 100 and 1,000 active rules.

    .venv/bin/python -m bench.achievements [--activities 600] [--members 200] [--rounds 3]

In process, against a PostgreSQL database of its own (created and dropped here; the server
is BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). Each activity is a
purchase delivered as a use case does: `engine.observe` inside its own transaction.

Every configuration has the same five rules that read purchases (three badges, two
challenges, with targets out of reach so that each purchase keeps updating their progress);
the other rules, up to 10, 100 or 1,000, read the seven other event kinds. The engine's cost
should follow the five rules a purchase can match, not the catalogue: the last line prints
the throughput with 1,000 rules over that with 10 (target: no worse than 0.5, i.e. within 2x).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tortoise import connections
from tortoise.transactions import in_transaction

from bench.harness import in_process_database, postgres_database
from domain.activity import Activity
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.points import ledger
from gamification.achievements.engine import AchievementEngine
from gamification.achievements.services import (
    BadgeDraft,
    ChallengeDraft,
    upsert_badge,
    upsert_challenge,
)
from gamification.rules import EventKind, Recurrence, Rule

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
RULE_COUNTS = (10, 100, 1000)
PURCHASE_BADGES = (
    Rule(event="PURCHASE", aggregate="COUNT", target=900, window_days=30, category="shoes"),
    Rule(event="PURCHASE", aggregate="SUM_AMOUNT", target=1_000_000),
    Rule(event="PURCHASE", aggregate="STREAK_DAYS", target=365),
)
PURCHASE_CHALLENGES = (
    (Rule(event="PURCHASE", aggregate="COUNT", target=900), Recurrence.WEEKLY),
    (Rule(event="PURCHASE", aggregate="DISTINCT_CATEGORIES", target=50), Recurrence.NONE),
)
OTHER_KINDS = [kind for kind in EventKind if kind is not EventKind.PURCHASE]
TABLES = (
    "rule_progress",
    "member_badge",
    "challenge_completion",
    "challenge",
    "badge",
    "config_version",
    "points_allocation",
    "points_entry",
    "outbox_event",
)


async def define_rules(total: int) -> None:
    """Five purchase rules, the rest on other kinds (badges and challenges alternately)."""
    for n, rule in enumerate(PURCHASE_BADGES):
        await upsert_badge(BadgeDraft(f"buy-{n}", f"Buy {n}", "", rule), START)
    for n, (rule, recurrence) in enumerate(PURCHASE_CHALLENGES):
        await upsert_challenge(
            ChallengeDraft(
                f"buy-c-{n}", f"Buy {n}", "", START, START + timedelta(days=60), rule, recurrence
            ),
            START,
        )
    for n in range(total - len(PURCHASE_BADGES) - len(PURCHASE_CHALLENGES)):
        kind = OTHER_KINDS[n % len(OTHER_KINDS)]
        rule = Rule(event=kind, aggregate="COUNT", target=5 + n % 7)
        if n % 2:
            await upsert_badge(BadgeDraft(f"other-{n}", f"Other {n}", "", rule), START)
        else:
            await upsert_challenge(
                ChallengeDraft(
                    f"other-c-{n}",
                    f"Other {n}",
                    "",
                    START,
                    START + timedelta(days=60),
                    rule,
                    Recurrence.DAILY,
                ),
                START,
            )


async def reset() -> None:
    tables = ", ".join(f'"{t}"' for t in TABLES)
    await connections.get("default").execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def purchases(member_ids: list[int], count: int, label: str) -> list[Activity]:
    categories = ("shoes", "hats", "socks", "bags", "coats")
    return [
        Activity(
            member_id=member_ids[n % len(member_ids)],
            kind="PURCHASE",
            occurred_at=START + timedelta(minutes=10 * n),
            reference=f"order:{label}-{n}",
            amount=Decimal("25.00") + n % 50,
            points=25,
            categories=frozenset({categories[n % 5], categories[(n * 3) % 5]}),
            channel="APP",
        )
        for n in range(count)
    ]


async def run_configuration(
    rules: int, member_ids: list[int], activities: int
) -> tuple[float, float]:
    """(activities per second, median milliseconds per activity) with `rules` active rules."""
    await reset()
    await define_rules(rules)
    engine = AchievementEngine()
    warmup = purchases(member_ids, min(200, activities // 5), f"warm{rules}")
    measured = purchases(member_ids, activities, f"run{rules}")
    for activity in warmup:
        async with in_transaction():
            await engine.observe(activity, activity.occurred_at)
    latencies = []
    began = time.perf_counter()
    for activity in measured:
        started = time.perf_counter()
        async with in_transaction():
            await engine.observe(activity, activity.occurred_at)
        latencies.append((time.perf_counter() - started) * 1000)
    elapsed = time.perf_counter() - began
    index = await engine.index(measured[-1].occurred_at)
    assert index.rule_count == rules, (index.rule_count, rules)
    return len(measured) / elapsed, statistics.median(latencies)


async def reference_rate(member_id: int, count: int = 300) -> float:
    """Transactions per second of the smallest write a use case makes: lock, update, commit."""
    began = time.perf_counter()
    for _ in range(count):
        async with in_transaction():
            await ledger.lock_member(member_id)
            await Member.filter(id=member_id).update(display_name="bench")
    return count / (time.perf_counter() - began)


async def measure(url: str, activities: int, member_count: int, rounds: int) -> None:
    async with in_process_database(url):
        members = [
            (await get_or_create_member(f"bench-{n}", START)).id for n in range(member_count)
        ]
        print(
            f"achievement engine, in process, PostgreSQL: {activities} purchases, "
            f"{member_count} members, 5 rules read purchases"
        )
        print(
            f"reference, a transaction locking the member and updating one row: "
            f"{await reference_rate(members[0]):8.1f}/s"
        )
        runs: dict[int, list[tuple[float, float]]] = {rules: [] for rules in RULE_COUNTS}
        # Rounds interleave the configurations, so that noise from the shared machine spreads
        # over all of them; each figure is the median of its rounds.
        for _ in range(rounds):
            for rules in RULE_COUNTS:
                runs[rules].append(await run_configuration(rules, members, activities))
        rates: dict[int, float] = {}
        for rules, figures in runs.items():
            rates[rules] = statistics.median(rate for rate, _ in figures)
            median_ms = statistics.median(ms for _, ms in figures)
            spread = ", ".join(f"{rate:.0f}" for rate, _ in figures)
            print(
                f"{rules:>5} active rules: {rates[rules]:8.1f} activities/s  "
                f"p50 {median_ms:6.2f} ms  (rounds: {spread})"
            )
        ratio = rates[1000] / rates[10]
        verdict = "within 2x" if ratio >= 0.5 else "NOT within 2x"
        print(f"throughput 1000 rules / 10 rules: {ratio:.2f} ({verdict})")


def main(activities: int, member_count: int, rounds: int) -> None:
    with postgres_database("fidelio_bench_engine") as url:
        asyncio.run(measure(url, activities, member_count, rounds))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=600, help="per round")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    main(arguments.activities, arguments.members, arguments.rounds)
