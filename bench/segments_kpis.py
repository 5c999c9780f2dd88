"""Key figures and segment sizes on a large program, on PostgreSQL.

    .venv/bin/python -m bench.segments_kpis [--members 100000] [--purchases 1000000]

Creates its own database (dropped afterwards), loads a program of `--members` members and
`--purchases` purchases spread over two years (with refunds, engagement, survey scores, badges
and a ledger entry per purchase, plus redemptions and expiries) through COPY, then times:

- `program_kpis` for one month, for everyone and for a segment (in process, the domain call);
- counting a segment's members (`upsert_segment` and the refresh job count in SQL);
- the scheduled automations' steady state (birthdays, anniversaries, win-backs), untargeted;
- the `programKpis` and `segments` GraphQL queries through a real server.

Each timing is the median of `--repeat` runs after one warm-up; the target is under 1 s. The
machine's load average is printed before and after: on a shared machine the figures scale with
it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from bench.harness import in_process_database, postgres_database, server, token

START = datetime(2024, 4, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 4, 15, tzinfo=UTC)
MONTH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
COUNTRIES = ["ES"] * 5 + ["FR", "PT", "DE", "IT", "GB", "US", "MX"]
CITIES = {
    "ES": ["Madrid", "Barcelona", "Valencia", "Sevilla"],
    "FR": ["Paris", "Lyon"],
    "PT": ["Lisboa", "Porto"],
    "DE": ["Berlin"],
    "IT": ["Roma", "Milano"],
    "GB": ["London"],
    "US": ["New York"],
    "MX": ["Mexico City"],
}
CHANNELS = ["APP"] * 5 + ["WEB"] * 3 + ["STORE"] * 2
BADGES = ["first-purchase", "explorer", "regular", "night-owl", "reviewer"]
BATCH = 100_000
SEGMENTS = {
    "spain-gold": {"countries": ["ES"], "minTierLevel": 2},
    "young-app": {"minAge": 18, "maxAge": 30, "channels": ["APP"]},
    "lapsed-vip": {"minLifetimeSpend": "500", "notPurchasedWithinDays": 60},
    "recent-regulars": {"minPurchases": 5, "purchasedWithinDays": 30, "hasBadgeCode": "regular"},
}


def _seconds(span: timedelta) -> int:
    return int(span.total_seconds())


def _moment(rng: random.Random, start: datetime = START, end: datetime = END) -> datetime:
    return start + timedelta(seconds=rng.randrange(max(1, _seconds(end - start))))


async def _copy(
    conn: asyncpg.Connection, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]
) -> int:
    """COPY `rows` into `table` in batches; returns how many were written."""
    total = 0
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            await conn.copy_records_to_table(table, records=batch, columns=columns)
            total += len(batch)
            batch = []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=columns)
        total += len(batch)
    return total


async def load_program(dsn: str, members: int, purchases: int, seed: int) -> dict[str, int]:
    """The program's rows, generated deterministically from `seed` and COPied in."""
    rng = random.Random(seed)
    conn = await asyncpg.connect(dsn)
    counts: dict[str, int] = {}
    try:
        joined = [_moment(rng, START - timedelta(days=365), END) for _ in range(members)]

        def member_rows() -> Iterator[tuple[Any, ...]]:
            for n in range(members):
                country = rng.choice(COUNTRIES)
                birth = (
                    date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 58))
                    if rng.random() < 0.8
                    else None
                )
                erased = NOW - timedelta(days=rng.randrange(400)) if rng.random() < 0.01 else None
                yield (
                    n + 1,
                    None if erased else f"cust-{n + 1}",
                    f"Member {n + 1}",
                    None if erased else f"m{n + 1}@example.org",
                    "es" if country == "ES" else "en",
                    "Europe/Madrid",
                    None if erased else country,
                    None if erased else rng.choice(CITIES[country]),
                    None if erased else birth,
                    f"R{n + 1:07d}",
                    joined[n],
                    rng.choice([0, 0, 0, 1, 1, 2, 3]),
                    None,
                    erased,
                )

        counts["members"] = await _copy(
            conn,
            "member",
            [
                "id", "customer_id", "display_name", "email", "locale", "time_zone", "country",
                "city", "birth_date", "referral_code", "joined_at", "tier_level", "tier_code",
                "erased_at",
            ],
            member_rows(),
        )  # fmt: skip

        refunds: list[tuple[Any, ...]] = []
        earns: list[tuple[int, int, datetime]] = []
        # Buyers are skewed: a few members buy a lot, most buy a little.
        buyers = [1 + int(members * rng.random() ** 2) for _ in range(purchases)]

        def purchase_rows() -> Iterator[tuple[Any, ...]]:
            for n in range(purchases):
                member_id = min(buyers[n], members)
                at = _moment(rng, max(joined[member_id - 1], START), END)
                cents = rng.randrange(500, 25_000)
                amount = Decimal(cents) / 100
                refunded = Decimal(0)
                if rng.random() < 0.03:
                    refunded = amount if rng.random() < 0.5 else Decimal(cents // 2) / 100
                    refunds.append(
                        (len(refunds) + 1, f"rf-{n + 1}", refunded, 0, 0,
                         at + timedelta(days=rng.randrange(1, 20)), n + 1)
                    )  # fmt: skip
                points = cents // 100
                earns.append((member_id, points, at))
                yield (
                    n + 1, f"order-{n + 1}", member_id, amount, refunded, "EUR",
                    rng.choice(CHANNELS), None, at, at, points, "[]", "[]",
                )  # fmt: skip

        counts["purchases"] = await _copy(
            conn,
            "purchase",
            [
                "id", "order_id", "member_id", "amount", "refunded_amount", "currency",
                "channel", "store_code", "occurred_at", "recorded_at", "points_earned",
                "categories", "items",
            ],
            purchase_rows(),
        )  # fmt: skip
        counts["refunds"] = await _copy(
            conn,
            "refund",
            ["id", "refund_id", "amount", "points_reversed", "points_shortfall", "created_at",
             "purchase_id"],
            iter(refunds),
        )  # fmt: skip

        def ledger_rows() -> Iterator[tuple[Any, ...]]:
            entry = 0
            for member_id, points, at in earns:
                entry += 1
                yield (entry, member_id, "EARN", points, points, 0, "Purchase", at,
                       at + timedelta(days=14), at + timedelta(days=365), None, None)  # fmt: skip
                if rng.random() < 0.05:
                    entry += 1
                    spent_at = at + timedelta(days=rng.randrange(15, 60))
                    yield (entry, member_id, "REDEEM", -points, 0, 0, "Reward", spent_at,
                           None, None, None, None)  # fmt: skip
                elif rng.random() < 0.02:
                    entry += 1
                    yield (entry, member_id, "EXPIRE", -points, 0, 0, "Expired",
                           at + timedelta(days=365, hours=1), None, None, None, None)  # fmt: skip

        counts["ledger entries"] = await _copy(
            conn,
            "points_entry",
            ["id", "member_id", "kind", "delta", "remaining", "shortfall", "description",
             "created_at", "available_at", "expires_at", "reference", "actor"],
            ledger_rows(),
        )  # fmt: skip

        def engagement_rows() -> Iterator[tuple[Any, ...]]:
            for n in range(purchases // 5):
                member_id = 1 + rng.randrange(members)
                at = _moment(rng, max(joined[member_id - 1], START), END)
                kind = rng.choice(["SHARE", "REVIEW", "SURVEY"])
                score = rng.randrange(11) if kind == "SURVEY" else None
                yield (n + 1, member_id, kind, f"ref-{n + 1}", score, at, at.date(), 10)

        counts["engagements"] = await _copy(
            conn,
            "engagement",
            ["id", "member_id", "kind", "reference", "score", "occurred_at", "local_date",
             "points_awarded"],
            engagement_rows(),
        )  # fmt: skip

        await conn.copy_records_to_table(
            "badge",
            records=[
                (i + 1, code, code.title(), code, None, False, "{}", 0, 0, START, START, "{}")
                for i, code in enumerate(BADGES)
            ],
            columns=["id", "code", "name", "description", "icon_url", "secret", "rule",
                     "reward_points", "holders_count", "created_at", "updated_at",
                     "translations"],
        )  # fmt: skip

        def badge_rows() -> Iterator[tuple[Any, ...]]:
            n = 0
            for member_id in range(1, members + 1):
                for badge_id in range(1, len(BADGES) + 1):
                    if rng.random() < 0.2:
                        n += 1
                        yield (n, member_id, badge_id, _moment(rng))

        counts["badges held"] = await _copy(
            conn, "member_badge", ["id", "member_id", "badge_id", "earned_at"], badge_rows()
        )
        for table in ("member", "purchase", "refund", "points_entry", "engagement", "badge",
                      "member_badge"):  # fmt: skip
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return counts


async def timed(
    label: str, run: Callable[[], Awaitable[Any]], repeat: int, target: float | None = 1.0
) -> tuple[str, float, Any]:
    await run()  # warm-up: caches, plans
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await run()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    verdict = "" if target is None else "ok" if median < target else "SLOW"
    print(
        f"  {label:<52} median {median * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms  {verdict}"
    )
    return label, median, result


async def in_process(url: str, repeat: int) -> None:
    from domain.kpis.services import program_kpis
    from domain.segments.rules import SegmentRule
    from domain.segments.services import (
        count_segment_members,
        list_segments,
        refresh_segment_counts,
        upsert_segment,
    )

    async with in_process_database(url):
        print("domain calls (in process):")
        for code, rule in SEGMENTS.items():
            segment = await upsert_segment(code, code, SegmentRule.from_json(rule), NOW)
            print(f"  segment {code:<20} {segment.member_count:>7} members  {json.dumps(rule)}")
        start, end = MONTH
        _, _, kpis = await timed(
            "program_kpis, March 2026, every member",
            lambda: program_kpis(start, end, NOW),
            repeat,
        )
        print(f"    {kpis}")
        for code in SEGMENTS:
            await timed(
                f"program_kpis, March 2026, segment {code}",
                lambda code=code: program_kpis(start, end, NOW, code),
                repeat,
            )
        for code in SEGMENTS:
            await timed(
                f"count of segment {code} (live, in SQL)",
                lambda code=code: count_segment_members(code, NOW),
                repeat,
            )
        await timed("segments with stored memberCount", list_segments, repeat)
        await time_automations(repeat)
        await timed(
            f"refresh_segment_counts ({len(SEGMENTS)} segments)",
            lambda: refresh_segment_counts(NOW),
            1,
            target=None,
        )


async def through_graphql(base: str, repeat: int) -> None:
    admin = token("admin", "bench-admin")
    start, end = MONTH
    kpis = (
        "query($from: DateTime!, $to: DateTime!, $segmentCode: String) {"
        " programKpis(from: $from, to: $to, segmentCode: $segmentCode) {"
        " members newMembers activeMembers retentionRate repeatPurchaseRate purchaseFrequency"
        " averageOrderValue averageSpendPerActiveMember revenue pointsIssued pointsRedeemed"
        " pointsExpired outstandingPoints redemptionRate netPromoterScore } }"
    )
    print("GraphQL through the server (HTTP):")
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def ask(query: str, variables: dict[str, Any]) -> Any:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {admin}"},
            )
            body = response.json()
            assert not body.get("errors"), body
            return body["data"]

        period = {"from": start.isoformat(), "to": end.isoformat()}
        await timed("baseline { __typename }", lambda: ask("{ __typename }", {}), repeat)
        await timed("programKpis, March 2026", lambda: ask(kpis, period), repeat)
        await timed(
            "programKpis, March 2026, segmentCode spain-gold",
            lambda: ask(kpis, {**period, "segmentCode": "spain-gold"}),
            repeat,
        )
        await timed(
            "segments { code memberCount }",
            lambda: ask("{ segments { code memberCount } }", {}),
            repeat,
        )


async def time_automations(repeat: int) -> None:
    """The hourly automations as they run in steady state: the first run (the warm-up)
    greets the day's members, the timed ones find them greeted (what every later hour does)."""
    from push.anniversaries.services import (
        AnniversarySpec,
        celebrate_anniversaries,
        configure_anniversary_offer,
    )
    from push.automations import (
        AutomationSettings,
        celebrate_birthdays,
        win_back_lapsed_members,
    )
    from push.live import NoLiveFeed
    from push.ports import DomainCoupons

    on = AutomationSettings(enabled=True, birthday_points=0)
    await configure_anniversary_offer(AnniversarySpec(enabled=True), NOW, DomainCoupons())
    hour = NOW + timedelta(hours=10)
    print("scheduled automations (in process):")
    await timed(
        "birthdays (hourly)", lambda: celebrate_birthdays(hour, on, NoLiveFeed()), repeat, None
    )
    await timed(
        "first-purchase anniversaries (hourly)",
        lambda: celebrate_anniversaries(hour, on, DomainCoupons(), NoLiveFeed()),
        repeat,
        None,
    )
    await timed(
        "win-back of lapsed members (every 6 h)",
        lambda: win_back_lapsed_members(hour, on, NoLiveFeed()),
        repeat,
        None,
    )


def print_load() -> None:
    one, five, fifteen = os.getloadavg()
    print(f"load average: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print_load()
    with postgres_database("fidelio_bench_kpis") as url:
        started = time.perf_counter()
        counts = asyncio.run(load_program(url, args.members, args.purchases, args.seed))
        print(
            "loaded "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            + f" in {time.perf_counter() - started:.1f} s"
        )
        asyncio.run(in_process(url, args.repeat))
        # Without the scheduled jobs (tier reviews, expiry...), which would sweep the whole
        # program while the queries are timed.
        with server(url, redis_url=None, extra_env={"RUN_BACKGROUND": "false"}) as base:
            asyncio.run(through_graphql(base, args.repeat))
    print_load()


if __name__ == "__main__":
    main()
