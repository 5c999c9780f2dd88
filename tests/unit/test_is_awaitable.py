"""The executor's awaitable check: strawberry's answers, kept by type where the type decides."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Generator
from typing import Any

from strawberry.execution import optimized_is_awaitable

from api.executor import _NOT_AWAITABLE, is_awaitable


class Plain:
    pass


class Awaits:
    def __await__(self) -> Generator[Any, None, None]:
        yield


class Dynamic:
    """Answers attributes itself: never kept by type."""

    def __init__(self, awaitable: bool) -> None:
        self.awaitable = awaitable

    def __getattr__(self, name: str) -> Any:
        if name == "__await__" and self.awaitable:
            return lambda: iter(())
        raise AttributeError(name)


def test_the_same_answers_as_strawberry() -> None:
    async def coroutine() -> None:
        return None

    def generator() -> Generator[int, None, None]:
        yield 1

    @types.coroutine
    def generator_coroutine() -> Generator[None, None, None]:
        yield

    loop = asyncio.new_event_loop()
    try:
        pending = coroutine()
        values: list[Any] = [
            pending, generator(), generator_coroutine(), loop.create_future(), Awaits(),
            Plain(), Plain(), 1, "a", None, {}, [], Dynamic(False), Dynamic(True),
        ]  # fmt: skip
        for _ in range(2):  # the second time from what the first one kept
            assert [is_awaitable(v) for v in values] == [optimized_is_awaitable(v) for v in values]
        pending.close()
    finally:
        loop.close()


def test_only_types_that_decide_are_kept() -> None:
    def generator() -> Generator[int, None, None]:
        yield 1

    assert not is_awaitable(Plain())
    assert Plain in _NOT_AWAITABLE
    assert not is_awaitable(generator())
    assert types.GeneratorType not in _NOT_AWAITABLE
    assert not is_awaitable(Dynamic(False))
    assert Dynamic not in _NOT_AWAITABLE
    assert is_awaitable(Dynamic(True))
