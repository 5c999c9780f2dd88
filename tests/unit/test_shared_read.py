"""A process's shared reading: concurrent callers share one load; a bounded age is honoured."""

from __future__ import annotations

import asyncio

from domain.versions import SharedRead
from gamification.achievements.catalogue import rule_fingerprint
from gamification.rules import Rule, stored_rule


class Source:
    """A load that counts its calls and answers the call's number, after a pause."""

    def __init__(self) -> None:
        self.loads = 0

    async def load(self) -> int:
        self.loads += 1
        number = self.loads
        await asyncio.sleep(0.01)
        return number


def test_callers_asking_at_the_same_time_share_one_load() -> None:
    source = Source()
    reading = SharedRead(source.load, clock=lambda: 0.0)

    async def scenario() -> list[int]:
        return list(await asyncio.gather(*(reading.read() for _ in range(10))))

    assert asyncio.run(scenario()) == [1] * 10
    assert source.loads == 1


def test_a_reading_is_served_until_it_is_older_than_the_age_asked_for() -> None:
    source = Source()
    now = [100.0]
    reading = SharedRead(source.load, clock=lambda: now[0])

    async def scenario() -> list[int]:
        seen = [await reading.read(max_age=1.0)]
        now[0] += 0.5
        seen.append(await reading.read(max_age=1.0))
        seen.append(await reading.read(max_age=0.0))  # 0: a load begun after the call
        now[0] += 1.5
        seen.append(await reading.read(max_age=1.0))
        return seen

    assert asyncio.run(scenario()) == [1, 1, 2, 3]


def test_a_stored_rule_is_parsed_once_and_equals_a_fresh_parse() -> None:
    stored = Rule("PURCHASE", "COUNT", 3, window_days=30, category="shoes").to_json()

    first, again = stored_rule(stored), stored_rule(dict(stored))

    assert first is again
    assert first == Rule.from_json(stored)
    assert rule_fingerprint(first) == rule_fingerprint(Rule.from_json(stored))
    assert stored_rule({**stored, "target": 4}).target == 4.0
