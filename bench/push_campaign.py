"""A campaign to 100,000 device tokens through firebase-admin, against the fake FCM server
failing 5% of requests transiently: every token must receive exactly one message.

    .venv/bin/python -m bench.push_campaign [--members 100000] [--workers 2] [--failure-rate 0.05]

PostgreSQL (a fresh database, dropped afterwards; BENCH_DATABASE_URL). Members and devices
are inserted directly, then the real path runs: sendCampaign's service, the fan-out job
(notifications in batches with a cursor), and delivery workers (claims, FcmGateway's
send_each in batches of 500, retries with backoff on a virtual clock). Prints the rate of
each phase and the exactly-once check.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import in_process_database, postgres_database
from domain.members.models import Device, Member, Platform
from push.campaigns.services import CampaignInput, fan_out_campaigns, send_campaign
from push.fcm import FcmGateway
from push.live import NoLiveFeed
from push.notifications.delivery import DeliveryPolicy, DeliveryReport, deliver_until_idle
from push.notifications.models import Notification, PushStatus
from push.ports import NoSegments
from tests.fakes.fake_fcm import FakeFcmServer

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
INSERT_CHUNK = 5000


async def insert_members(count: int) -> None:
    for start in range(0, count, INSERT_CHUNK):
        numbers = range(start, min(count, start + INSERT_CHUNK))
        await Member.bulk_create(
            [
                Member(customer_id=f"bench-{i:07d}", referral_code=f"B{i:07d}", joined_at=START)
                for i in numbers
            ]
        )
    ids = (
        await Member.filter(customer_id__startswith="bench-")
        .order_by("id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(ids), INSERT_CHUNK):
        await Device.bulk_create(
            [
                Device(
                    member_id=member_id,
                    token=f"fcm-token-{start + i:07d}",
                    platform=Platform.ANDROID if i % 3 else Platform.IOS,
                    created_at=START,
                    last_seen_at=START,
                )
                for i, member_id in enumerate(ids[start : start + INSERT_CHUNK])
            ]
        )


async def deliver_everything(
    gateway: FcmGateway, workers: int, policy: DeliveryPolicy
) -> tuple[DeliveryReport, int]:
    """Workers deliver what is due; the virtual clock then moves past the retries' backoff."""
    clock = START
    total = DeliveryReport()
    rounds = 0
    while True:
        rounds += 1
        reports = await asyncio.gather(
            *(deliver_until_idle(gateway, clock, policy=policy) for _ in range(workers))
        )
        for report in reports:
            total.add(report)
        open_pushes = await Notification.filter(
            push_status__in=(PushStatus.PENDING, PushStatus.HELD, PushStatus.SENDING)
        ).count()
        if not open_pushes or rounds > policy.max_attempts + 2:
            return total, rounds
        clock += timedelta(seconds=policy.max_delay)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class FakeFcmProcess:
    """The fake FCM server in a process of its own, as the real one is on other machines:
    it then competes with the delivery workers for cores, not for this process's GIL."""

    def __init__(self, failure_rate: float) -> None:
        context = multiprocessing.get_context("fork")
        self._commands: Any = context.Queue()
        self._answers: Any = context.Queue()
        self._process = context.Process(
            target=_serve_fake_fcm, args=(failure_rate, self._commands, self._answers)
        )
        self._process.start()
        self.service_account, self.base_url = self._answers.get(timeout=30)

    @property
    def pid(self) -> int:
        return int(self._process.pid)

    def _ask(self, command: str) -> Any:
        self._commands.put(command)
        return self._answers.get(timeout=120)

    def delivered_tokens(self) -> list[str]:
        return self._ask("delivered")

    def send_requests(self) -> int:
        return self._ask("requests")

    def start_failing(self) -> None:
        self._ask("fail")

    def stop(self) -> None:
        self._commands.put("stop")
        self._process.join(timeout=30)


def _serve_fake_fcm(failure_rate: float, commands: Any, answers: Any) -> None:
    server = FakeFcmServer().start()
    answers.put((server.service_account, server.base_url))
    while True:
        command = commands.get()
        if command == "delivered":
            answers.put([message.token for message in server.delivered])
        elif command == "requests":
            answers.put(server.send_requests)
        elif command == "fail":
            server.set_failure_rate(failure_rate, seed=2026)
            answers.put(True)
        elif command == "stop":
            server.stop()
            return


def main(members: int, workers: int, failure_rate: float) -> None:
    fcm = FakeFcmProcess(failure_rate)  # forked before any event loop or connection exists
    try:
        with postgres_database("fidelio_bench_push") as url:
            asyncio.run(run(url, fcm, members, workers))
    finally:
        fcm.stop()


async def run(url: str, fcm: FakeFcmProcess, members: int, workers: int) -> None:
    async with in_process_database(url):
        began = time.perf_counter()
        await insert_members(members)
        print(f"setup: {members:,} members with one device each in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip

        await send_campaign(
            CampaignInput(code="bench-spring", title="Spring sale", body="Up to 50% off."),
            START,
            NoSegments(),
        )
        began = time.perf_counter()
        created = await fan_out_campaigns(
            START, NoSegments(), NoLiveFeed(), batch=1000, max_batches=10_000
        )
        fan_out = time.perf_counter() - began
        print(f"fan-out: {created:,} notifications in {fan_out:.1f} s "
              f"({created / fan_out:,.0f}/s)")  # fmt: skip

        fcm.start_failing()
        gateway = FcmGateway(fcm.service_account, fcm_endpoint=fcm.base_url)
        policy = DeliveryPolicy(max_attempts=8, base_delay=1, max_delay=30, rng=random.Random(7))
        try:
            began = time.perf_counter()
            ours, theirs = cpu_seconds(os.getpid()), cpu_seconds(fcm.pid)
            report, rounds = await deliver_everything(gateway, workers, policy)
            delivery = time.perf_counter() - began
            ours = cpu_seconds(os.getpid()) - ours
            theirs = cpu_seconds(fcm.pid) - theirs
        finally:
            await gateway.close()

        tokens = fcm.delivered_tokens()
        requests = fcm.send_requests()
        delivered = Counter(tokens)
        expected = {f"fcm-token-{i:07d}" for i in range(members)}
        missing = len(expected - set(delivered))
        duplicated = sum(1 for count in delivered.values() if count > 1)
        failed = await Notification.filter(push_status=PushStatus.FAILED).count()
        print(f"delivery: {report.sent:,} messages in {delivery:.1f} s "
              f"({report.sent / delivery:,.0f} messages/s) with {workers} workers, "
              f"{rounds} retry rounds")  # fmt: skip
        print(f"CPU per message: {ours / report.sent * 1e6:,.0f} us in the delivery process, "
              f"{theirs / report.sent * 1e6:,.0f} us in the fake FCM server; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"FCM requests: {requests:,} "
              f"({requests - len(tokens):,} answered 503 and retried)")  # fmt: skip
        print(f"exactly once: {len(delivered):,} tokens reached, {missing} missing, "
              f"{duplicated} duplicated, {failed} failed")  # fmt: skip
        print("OK" if not missing and not duplicated and not failed else "FAILED")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--failure-rate", type=float, default=0.05)
    arguments = parser.parse_args()
    main(arguments.members, arguments.workers, arguments.failure_rate)
