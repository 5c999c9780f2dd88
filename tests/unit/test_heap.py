"""settle_for_serving: what a server process has built by the time it takes work is kept out of
the collector's full collections, and short-lived garbage is still collected."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from api.heap import YOUNG_THRESHOLD, settle_for_serving


@pytest.fixture
def interpreter_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.mark.usefixtures("interpreter_gc")
def test_startup_objects_are_frozen_and_later_cycles_still_collected() -> None:
    kept = [Node() for _ in range(1000)]
    frozen = settle_for_serving()
    assert frozen >= len(kept)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    # The startup objects are out of the collector's sight: none is tracked in a generation.
    tracked = {id(o) for o in gc.get_objects()}
    assert not any(id(node) in tracked for node in kept)

    # A cycle made after startup is garbage the collector still finds.
    a, b = Node(), Node()
    a.other, b.other = b, a
    del a, b
    assert gc.collect() >= 2
