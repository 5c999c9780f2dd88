"""The garbage collector set for a long-running server process.

Measured with `bench.screens` (a gc.callbacks probe in the served process): with CPython's
defaults, a full (oldest generation) collection ran about once a second under load and took
95-180 ms, walking the ~200,000 objects that startup leaves alive (the schema, the ORM's models,
the phrasebooks, the caches) although none of them ever becomes garbage; every request in
flight waited that long, which was the member screens' p99 of 100-140 ms beside a p50 of
13-19 ms. `gc.freeze()` moves what startup built out of the collector's sight (full collections
then took 3-16 ms), and a larger youngest generation lets a request's short-lived objects die
by reference counting before a collection ever looks at them (then at most one full
collection in a screen's run). Cyclic garbage is still collected; only what lives at startup is
never examined again.
"""

from __future__ import annotations

import gc

#: Allocations between two collections of the youngest generation (CPython's default: 700).
YOUNG_THRESHOLD = 20_000
#: Collections of a generation between two of the next (CPython's defaults: 10 and 10).
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 10


def settle_for_serving() -> int:
    """Collect once, freeze what is alive (the process's startup state) and raise the young
    generation's threshold. Call when a server or worker process has finished starting, just
    before it takes work. Returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
    return gc.get_freeze_count()
