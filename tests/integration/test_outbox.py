"""The outbox: events exist only if their transaction committed, and are delivered at least
once, with failing handlers retried later and their writes rolled back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from domain.clock import FrozenClock
from domain.events import DomainEvent, record_event
from domain.members.models import Member
from domain.members.services import get_or_create_member
from domain.outbox import dispatcher as dispatcher_module
from domain.outbox.dispatcher import Batched, Dispatcher
from domain.outbox.models import OutboxEvent
from tests.integration.query_counter import counting_statements

pytestmark = pytest.mark.usefixtures("db")


@dataclass(frozen=True)
class SomethingHappened(DomainEvent):
    member_id: int
    note: str


async def test_an_event_of_a_rolled_back_transaction_never_exists() -> None:
    clock = FrozenClock()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await record_event(SomethingHappened(member_id=1, note="x"), clock.now())
            raise RuntimeError("the use case failed")
    assert await OutboxEvent.all().count() == 0


async def test_events_reach_their_handlers_once_and_are_marked_processed() -> None:
    clock = FrozenClock()
    seen: list[SomethingHappened] = []

    async def handler(event: DomainEvent) -> None:
        assert isinstance(event, SomethingHappened)
        seen.append(event)

    async with in_transaction():
        for note in ("a", "b"):
            await record_event(SomethingHappened(member_id=7, note=note), clock.now())
    dispatcher = Dispatcher({"SomethingHappened": [handler]}, clock)
    assert await dispatcher.run_until_idle() == 2
    assert await dispatcher.run_until_idle() == 0
    assert [e.note for e in seen] == ["a", "b"]
    assert await OutboxEvent.filter(processed_at__isnull=True).count() == 0


async def test_a_failing_handler_rolls_back_its_writes_and_is_retried_with_backoff() -> None:
    clock = FrozenClock()
    member = await get_or_create_member("c1", clock.now())
    attempts = 0

    async def flaky(event: DomainEvent) -> None:
        nonlocal attempts
        attempts += 1
        await Member.filter(id=member.id).update(display_name=f"try {attempts}")
        if attempts == 1:
            raise ConnectionError("push service down")

    await record_event(SomethingHappened(member_id=member.id, note="x"), clock.now())
    dispatcher = Dispatcher(
        {"SomethingHappened": [flaky]}, clock, base_backoff=timedelta(seconds=10)
    )
    await dispatcher.run_until_idle()
    row = await OutboxEvent.get(kind="SomethingHappened")
    assert (row.attempts, row.processed_at) == (1, None)
    assert "push service down" in (row.last_error or "")
    assert (await Member.get(id=member.id)).display_name != "try 1"  # rolled back

    await dispatcher.run_until_idle()  # not due yet
    assert attempts == 1
    clock.advance(seconds=11)
    await dispatcher.run_until_idle()
    assert attempts == 2
    assert (await Member.get(id=member.id)).display_name == "try 2"
    assert (await OutboxEvent.get(kind="SomethingHappened")).processed_at is not None


async def test_an_event_that_keeps_failing_is_parked_with_its_error() -> None:
    clock = FrozenClock()

    async def broken(event: DomainEvent) -> None:
        raise ValueError("bad payload")

    await record_event(SomethingHappened(member_id=1, note="x"), clock.now())
    dispatcher = Dispatcher(
        {"SomethingHappened": [broken]}, clock, max_attempts=3, base_backoff=timedelta(seconds=1)
    )
    for _ in range(5):
        await dispatcher.run_until_idle()
        clock.advance(minutes=1)
    row = await OutboxEvent.get()
    assert row.attempts == 3 and row.processed_at is not None and "bad payload" in row.last_error


async def test_the_wait_before_each_retry_doubles_up_to_the_longest_wait() -> None:
    clock = FrozenClock()

    async def broken(event: DomainEvent) -> None:
        raise ConnectionError("down")

    await record_event(SomethingHappened(member_id=1, note="x"), clock.now())
    dispatcher = Dispatcher(
        {"SomethingHappened": [broken]},
        clock,
        max_attempts=10,
        base_backoff=timedelta(seconds=2),
        max_backoff=timedelta(seconds=20),
    )
    waits: list[float] = []
    for _ in range(6):
        await dispatcher.run_until_idle()
        row = await OutboxEvent.get()
        assert row.available_at is not None
        waits.append((row.available_at - clock.now()).total_seconds())
        clock.advance(seconds=waits[-1])
    assert waits == [2, 4, 8, 16, 20, 20]


@pytest.mark.postgres
async def test_two_dispatchers_at_once_never_deliver_one_event_twice() -> None:
    clock = FrozenClock()
    delivered: list[int] = []

    async def slow(event: DomainEvent) -> None:
        assert isinstance(event, SomethingHappened)
        await asyncio.sleep(0.001)
        delivered.append(int(event.note))

    async with in_transaction():
        for n in range(200):
            await record_event(SomethingHappened(member_id=1, note=str(n)), clock.now())
    workers = [
        Dispatcher({"SomethingHappened": [slow]}, clock, batch_size=20, skip_locked=True)
        for _ in range(4)
    ]
    await asyncio.gather(*(w.run_until_idle() for w in workers))
    assert sorted(delivered) == list(range(200))


async def test_a_batched_handler_gets_every_due_event_of_its_kind_at_once_in_order() -> None:
    clock = FrozenClock()
    calls: list[list[str]] = []

    async def all_at_once(events: Sequence[DomainEvent]) -> None:
        calls.append([e.note for e in events if isinstance(e, SomethingHappened)])

    async with in_transaction():
        for note in ("a", "b", "c"):
            await record_event(SomethingHappened(member_id=7, note=note), clock.now())
    dispatcher = Dispatcher({"SomethingHappened": [Batched(all_at_once)]}, clock)
    assert await dispatcher.run_until_idle() == 3
    assert calls == [["a", "b", "c"]]
    assert await OutboxEvent.filter(processed_at__isnull=True).count() == 0


async def test_a_running_dispatcher_takes_bigger_batches_while_it_is_behind() -> None:
    clock = FrozenClock()
    sizes: list[int] = []
    done = asyncio.Event()

    async def all_at_once(events: Sequence[DomainEvent]) -> None:
        sizes.append(len(events))
        if sum(sizes) >= 40:
            done.set()

    async with in_transaction():
        for i in range(20):
            await record_event(SomethingHappened(member_id=7, note=str(i)), clock.now())
    dispatcher = Dispatcher(
        {"SomethingHappened": [Batched(all_at_once)]}, clock, batch_size=2, max_batch_size=8
    )
    running = asyncio.create_task(dispatcher.run_forever(poll_seconds=0.01))
    try:
        for _ in range(500):
            if sum(sizes) >= 20:
                break
            await asyncio.sleep(0.01)
        # A backlog of 20: each full batch doubles the next, up to 8; what is left is less.
        assert sizes == [2, 4, 8, 6]
        # Keeping pace again, it starts from the smallest batch.
        async with in_transaction():
            for i in range(20):
                await record_event(SomethingHappened(member_id=7, note=str(i)), clock.now())
        dispatcher.wake()
        await asyncio.wait_for(done.wait(), timeout=5)
        for _ in range(500):
            if await OutboxEvent.filter(processed_at__isnull=True).count() == 0:
                break
            await asyncio.sleep(0.01)
        assert sizes[4:] == [2, 4, 8, 6]
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert await OutboxEvent.filter(processed_at__isnull=True).count() == 0


async def test_one_failing_event_of_a_batch_is_retried_alone_and_the_others_are_delivered() -> None:
    clock = FrozenClock()
    members = [await get_or_create_member(f"c{n}", clock.now()) for n in range(3)]
    await OutboxEvent.all().delete()  # their MemberCreated: only this test's events count

    async def rename(event: DomainEvent) -> None:
        assert isinstance(event, SomethingHappened)
        await Member.filter(id=event.member_id).update(display_name=event.note)
        if event.note == "bad":
            raise ValueError("cannot")

    async with in_transaction():
        for member, note in zip(members, ("one", "bad", "three"), strict=True):
            await record_event(SomethingHappened(member_id=member.id, note=note), clock.now())
    dispatcher = Dispatcher({"SomethingHappened": [rename]}, clock)
    assert await dispatcher.run_until_idle() == 3

    names = [(await Member.get(id=m.id)).display_name for m in members]
    assert names[0] == "one" and names[2] == "three"
    assert names[1] != "bad"  # its writes were rolled back
    pending = await OutboxEvent.filter(processed_at__isnull=True)
    assert [(r.payload["note"], r.attempts) for r in pending] == [("bad", 1)]
    assert "cannot" in (pending[0].last_error or "")


async def test_a_batch_costs_the_same_statements_whatever_its_size() -> None:
    """Claim, one savepoint, mark delivered: not a few statements per event."""
    clock = FrozenClock()

    async def nothing(events: Sequence[DomainEvent]) -> None:
        return None

    dispatcher = Dispatcher({"SomethingHappened": [Batched(nothing)]}, clock)
    counts = []
    for size in (2, 50):
        async with in_transaction():
            for n in range(size):
                await record_event(SomethingHappened(member_id=1, note=str(n)), clock.now())
        with counting_statements() as statements:
            assert await dispatcher.run_once() == size
        counts.append(len(statements))
    assert counts[0] == counts[1]


@dataclass(frozen=True)
class OtherThingHappened(DomainEvent):
    member_id: int


async def test_a_batch_of_several_kinds_costs_one_savepoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A purchase's events are of three or four kinds: the batch opens its transaction and
    one savepoint, not one per kind (tortoise does not log savepoints: the dispatcher's
    transactions are counted)."""
    clock = FrozenClock()
    opened: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        opened.append(1)
        return in_transaction(*args, **kwargs)

    monkeypatch.setattr(dispatcher_module, "in_transaction", counted)

    async def nothing(events: Sequence[DomainEvent]) -> None:
        return None

    dispatcher = Dispatcher(
        {"SomethingHappened": [Batched(nothing)], "OtherThingHappened": [Batched(nothing)]},
        clock,
    )
    async with in_transaction():
        await record_event(SomethingHappened(member_id=1, note="a"), clock.now())
        await record_event(OtherThingHappened(member_id=1), clock.now())
    assert await dispatcher.run_once() == 2
    assert len(opened) == 2


async def test_a_failing_kind_leaves_the_other_kinds_of_its_batch_delivered_once() -> None:
    clock = FrozenClock()
    member = await get_or_create_member("c1", clock.now())
    await OutboxEvent.all().delete()
    renamed: list[str] = []

    async def rename(event: DomainEvent) -> None:
        assert isinstance(event, SomethingHappened)
        renamed.append(event.note)
        await Member.filter(id=event.member_id).update(display_name=event.note)

    async def broken(event: DomainEvent) -> None:
        await Member.filter(id=member.id).update(display_name="broken")
        raise ValueError("cannot")

    async with in_transaction():
        await record_event(SomethingHappened(member_id=member.id, note="kept"), clock.now())
        await record_event(OtherThingHappened(member_id=member.id), clock.now())
    dispatcher = Dispatcher({"SomethingHappened": [rename], "OtherThingHappened": [broken]}, clock)
    assert await dispatcher.run_until_idle() == 2

    assert (await Member.get(id=member.id)).display_name == "kept"
    pending = await OutboxEvent.filter(processed_at__isnull=True)
    assert [(r.kind, r.attempts) for r in pending] == [("OtherThingHappened", 1)]
    delivered = await OutboxEvent.filter(kind="SomethingHappened").first()
    assert delivered is not None and delivered.processed_at is not None
