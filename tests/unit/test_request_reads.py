"""A request's shared reads (`Context.once`, `api.context.shared_read`): read once by the first
asker in its own coroutine (no task), shared with those who ask meanwhile; an error reaches
every asker; a waiter cancelled leaves the read alone; the first asker cancelled leaves the
others a value, read again for them."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any, cast

import pytest

from api.context import Context
from api.runtime import Runtime


def _context() -> Context:
    return Context(request=None, runtime=cast(Runtime, object()), principal=None, request_id="r")


class Reads:
    """A read that waits for `release` and counts its calls and the tasks it ran in."""

    def __init__(self, value: Any = "value", error: Exception | None = None) -> None:
        self.release = asyncio.Event()
        self.calls = 0
        self.tasks: list[asyncio.Task[Any] | None] = []
        self.value = value
        self.error = error

    async def __call__(self) -> Any:
        self.calls += 1
        self.tasks.append(asyncio.current_task())
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.value


async def two_askers(context: Context, read: Reads) -> tuple[asyncio.Task[Any], asyncio.Task[Any]]:
    """The first asker of `read` under one name, then a second while the read runs."""
    first = asyncio.ensure_future(context.once("x", read))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(context.once("x", read))
    await asyncio.sleep(0)
    return first, second


async def test_askers_at_the_same_time_share_one_read_done_by_the_first_itself() -> None:
    context = _context()
    read = Reads()
    first, second = await two_askers(context, read)
    read.release.set()

    assert await asyncio.gather(first, second) == ["value", "value"]
    assert read.calls == 1 and read.tasks == [first]  # no task of its own
    assert await context.once("x", read) == "value" and read.calls == 1


async def test_an_error_reaches_every_asker_and_is_never_reported_unretrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = _context()
    read = Reads(error=ValueError("no"))
    first, second = await two_askers(context, read)
    read.release.set()

    answers = await asyncio.gather(first, second, return_exceptions=True)
    del first, second
    gc.collect()
    await asyncio.sleep(0)

    assert [type(a) for a in answers] == [ValueError, ValueError] and read.calls == 1
    with pytest.raises(ValueError):
        await context.once("x", read)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_waiter_cancelled_leaves_the_read_to_the_others() -> None:
    context = _context()
    read = Reads()
    first, waiter = await two_askers(context, read)
    waiter.cancel()
    await asyncio.sleep(0)
    read.release.set()

    assert await first == "value" and waiter.cancelled() and read.calls == 1


async def test_the_first_asker_cancelled_leaves_those_who_wait_a_value_read_again() -> None:
    context = _context()
    read = Reads()
    first, waiter = await two_askers(context, read)
    first.cancel()  # as graphql-core cancels the siblings of a field that nulled their parent
    await asyncio.sleep(0)
    read.release.set()

    assert await waiter == "value"
    assert first.cancelled() and read.calls == 2
    assert await context.once("x", read) == "value" and read.calls == 2
